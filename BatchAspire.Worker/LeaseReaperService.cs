using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;
using Microsoft.Extensions.Options;

namespace BatchAspire.Worker;

/// <summary>
/// Returns items whose Worker died (lease expired) to their job's queue. Every Worker runs it; the reap
/// script hands each expired lease to exactly one caller, so running it everywhere is safe.
/// </summary>
public sealed class LeaseReaperService(WorkQueue queue, IOptions<WorkerOptions> options, TimeProvider time, ILogger<LeaseReaperService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReapInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ReapOnceAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task ReapOnceAsync()
    {
        try
        {
            foreach (var jobId in await queue.ActiveJobIdsAsync())
            {
                var (reaped, status) = await queue.ReapExpiredLeasesAsync(jobId);
                if (reaped > 0) logger.LogWarning("Returned {Count} items of {JobId} whose lease expired", reaped, jobId);
                if (status is "missing" || JobStatus.IsTerminal(status)) await queue.ForgetAsync(jobId);
            }
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning(ex, "Reaping expired leases failed; will retry");
        }
    }
}
