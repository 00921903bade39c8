using BatchAspire.Core.Queue;

namespace BatchAspire.Worker;

/// <summary>Runs the batching result writer; on shutdown, records everything still queued before exiting.</summary>
public sealed class ResultWriterService(ResultWriter writer) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => writer.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Registered before the scheduler, so it stops after it: the scheduler's last outcomes are queued by now.
        writer.Complete();
        await base.StopAsync(cancellationToken);
    }
}
