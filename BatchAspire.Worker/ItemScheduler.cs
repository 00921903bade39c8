using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;
using BatchAspire.Core.RateLimiting;
using Microsoft.Extensions.Options;

namespace BatchAspire.Worker;

/// <summary>
/// The scheduler loop: while this Worker has free slots, take the next job in the round-robin, lease a
/// batch of its items and start each call. Calls run asynchronously; the loop never waits on one.
/// </summary>
public sealed class ItemScheduler(
    WorkQueue queue,
    ItemProcessor processor,
    ResultWriter results,
    InFlightItems inFlight,
    RateLimiter limiter,
    IOptions<WorkerOptions> options,
    ILogger<ItemScheduler> logger) : BackgroundService
{
    private readonly List<Task> _running = [];

    public DateTimeOffset LastLoop { get; private set; } = DateTimeOffset.UtcNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var idle = TimeSpan.Zero;
        logger.LogInformation("Scheduler started: up to {Concurrency} calls in flight, leases of {Lease}", o.MaxConcurrency, o.LeaseDuration);
        while (!stoppingToken.IsCancellationRequested)
        {
            LastLoop = DateTimeOffset.UtcNow;
            int slots;
            try
            {
                // Lease no more than the limiter can grant soon: items waiting for permits hold leases.
                var room = await limiter.WaitForRoomAsync(stoppingToken);
                slots = await inFlight.AcquireAsync(Math.Min(o.LeaseBatchSize, room), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var leased = 0;
            try
            {
                leased = await LeaseAndStartAsync(slots, stoppingToken);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                logger.LogWarning(ex, "Leasing failed; retrying");
            }
            finally
            {
                inFlight.ReleaseUnused(slots - leased);
            }

            if (leased > 0)
            {
                idle = TimeSpan.Zero;
                continue;
            }
            // Nothing to do: back off (1 ms doubling to MaxIdleWait) so an idle Worker does not busy-poll the store.
            idle = idle == TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, o.MaxIdleWait.Ticks));
            try
            {
                await Task.Delay(idle, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Let calls in flight finish (they are cancelled by the host's shutdown timeout at the latest).
        Task[] running;
        lock (_running) running = [.. _running];
        await Task.WhenAll(running);
    }

    private async Task<int> LeaseAndStartAsync(int slots, CancellationToken stoppingToken)
    {
        var jobId = await queue.NextActiveJobAsync();
        if (jobId is null) return 0;
        var batch = await queue.LeaseAsync(jobId, slots, options.Value.LeaseDuration);
        if (batch.Status is "missing" || JobStatus.IsTerminal(batch.Status))
        {
            await queue.ForgetAsync(jobId);
        }
        foreach (var item in batch.Items)
        {
            inFlight.Add(item);
            var task = RunAsync(item, stoppingToken);
            lock (_running) _running.Add(task);
            _ = task.ContinueWith(t => { lock (_running) _running.Remove(t); }, TaskScheduler.Default);
        }
        return batch.Items.Count;
    }

    private async Task RunAsync(LeasedItem item, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            var outcome = await processor.ProcessAsync(item, stoppingToken);
            await results.EnqueueAsync(outcome, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // A bug, not a provider failure: the lease expires and the reaper hands the item out again.
            logger.LogError(ex, "Processing item {CustomId} of {JobId} failed unexpectedly", item.Item.CustomId, item.JobId);
        }
        finally
        {
            inFlight.Remove(item);
        }
    }
}
