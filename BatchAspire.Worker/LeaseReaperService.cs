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
                status = await ExpireIfDueAsync(jobId, status);
                if (status is "missing" || JobStatus.IsTerminal(status)) await queue.ForgetAsync(jobId);
            }
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning(ex, "Reaping expired leases failed; will retry");
        }
    }

    /// <summary>A job past its deadline (expires_at) becomes expired: its unfinished items fail, chunk by chunk.</summary>
    private async Task<string> ExpireIfDueAsync(string jobId, string status)
    {
        if (status != JobStatus.InProgress) return status;
        bool more;
        do
        {
            (status, more) = await queue.ExpireAsync(jobId);
        } while (more);
        if (status == JobStatus.Expired) logger.LogInformation("Job {JobId} passed its deadline and expired", jobId);
        return status;
    }
}
