using BatchAspire.Core.Queue;
using Microsoft.Extensions.Options;

namespace BatchAspire.Worker;

/// <summary>Keeps the leases of long calls alive: every third of a lease, renews what this Worker still holds.</summary>
public sealed class LeaseRenewalService(WorkQueue queue, InFlightItems inFlight, IOptions<WorkerOptions> options, TimeProvider time, ILogger<LeaseRenewalService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = options.Value.LeaseDuration;
        using var timer = new PeriodicTimer(lease / 3, time);
        while (await WaitAsync(timer, stoppingToken))
        {
            var due = time.GetUtcNow() - lease / 3;
            foreach (var job in inFlight.Snapshot().Where(i => i.LeasedAt <= due).GroupBy(i => i.JobId))
            {
                try
                {
                    await queue.RenewAsync(job.Key, job.Select(i => i.Index), lease);
                    var now = time.GetUtcNow();
                    foreach (var item in job) item.LeasedAt = now;
                }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                {
                    logger.LogWarning(ex, "Renewing leases of {JobId} failed; will retry", job.Key);
                }
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
