using BatchAspire.Core.Modes;
using BatchAspire.Core.Modes.Economy;
using Microsoft.Extensions.Options;

namespace BatchAspire.Worker;

/// <summary>
/// Drives economy and waves jobs through the providers' batch APIs. Every Worker runs it; a job is driven by the one
/// Worker holding its claim (a lease in the store), so no provider batch is submitted twice, and a job whose Worker
/// died is taken over once the claim lapses, resuming from its stored provider batch records.
/// </summary>
public sealed class EconomyPoller(ProviderBatchStore store, ProviderBatchRunner runner, IOptions<ModeOptions> options, ILogger<EconomyPoller> logger)
    : BackgroundService
{
    private readonly string _worker = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly HashSet<string> _claimed = new(StringComparer.Ordinal);

    public DateTimeOffset LastTick { get; private set; } = DateTimeOffset.UtcNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                LastTick = DateTimeOffset.UtcNow;
                await TickAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        // A stopping Worker hands its jobs over at once instead of making the others wait for the claims to lapse.
        foreach (var jobId in _claimed) await store.ReleaseAsync(jobId);
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        IReadOnlyList<string> jobs;
        try
        {
            jobs = await store.EconomyJobIdsAsync();
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning(ex, "Reading economy jobs failed; will retry");
            return;
        }
        _claimed.IntersectWith(jobs);
        foreach (var jobId in jobs)
        {
            if (stoppingToken.IsCancellationRequested) return;
            try
            {
                if (!await store.ClaimAsync(jobId, _worker, options.Value.ClaimDuration))
                {
                    _claimed.Remove(jobId);
                    continue;
                }
                _claimed.Add(jobId);
                await runner.AdvanceAsync(jobId, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The job stays listed and claimed by us: the next tick tries again from its stored state.
                logger.LogWarning(ex, "Advancing economy job {JobId} failed; will retry", jobId);
            }
        }
    }
}
