using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Store;
using StackExchange.Redis;

namespace BatchAspire.Core.Queue;

/// <summary>Work as the Worker sees it: which job next, lease, renew, complete, reschedule, reap.</summary>
public sealed class WorkQueue(IConnectionMultiplexer redis, JobScripts scripts, RedisKeys keys, TimeProvider time)
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>Job id → tenant, read once per job: a job's tenant never changes. Bounded, as Workers run for months.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _tenants = new(StringComparer.Ordinal);

    /// <summary>The next job in the round-robin (the list is rotated, so every Worker takes turns across jobs).</summary>
    public async Task<string?> NextActiveJobAsync()
    {
        var id = await Db.ListMoveAsync(keys.ActiveJobs, keys.ActiveJobs, ListSide.Left, ListSide.Right);
        return id.HasValue ? id.ToString() : null;
    }

    public async Task<IReadOnlyList<string>> ActiveJobIdsAsync() =>
        [.. (await Db.ListRangeAsync(keys.ActiveJobs)).Select(v => v.ToString())];

    /// <summary>Drops a job that has nothing left to dispatch from the round-robin.</summary>
    public Task ForgetAsync(string jobId) => Db.ListRemoveAsync(keys.ActiveJobs, jobId);

    public async Task<LeaseBatch> LeaseAsync(string jobId, int count, TimeSpan leaseDuration)
    {
        var raw = (RedisResult[])(await scripts.RunAsync(JobScripts.LeaseItems, keys.JobScriptKeys(jobId),
            [count, (long)leaseDuration.TotalMilliseconds]))!;
        var status = raw[0].ToString();
        var nextDue = (long)raw[1];
        var now = time.GetUtcNow();
        var items = new List<LeasedItem>((raw.Length - 2) / 3);
        for (var i = 2; i + 2 < raw.Length; i += 3)
        {
            var itemJson = (byte[])raw[i + 1]!;
            if (itemJson.Length == 0) continue; // staged data expired under a live job: nothing to run
            var history = (byte[])raw[i + 2]!;
            items.Add(new LeasedItem(
                jobId,
                (long)raw[i],
                JsonSerializer.Deserialize<StoredItem>(itemJson, BatchJson.Options)!,
                history.Length == 0 ? [] : JsonSerializer.Deserialize<List<AttemptRecord>>(history, BatchJson.Options)!,
                now));
        }
        return new LeaseBatch(status, nextDue >= 0 ? TimeSpan.FromMilliseconds(nextDue) : null, items);
    }

    public async Task<long> RenewAsync(string jobId, IEnumerable<long> indexes, TimeSpan leaseDuration)
    {
        RedisValue[] args = [(long)leaseDuration.TotalMilliseconds, .. indexes.Select(i => (RedisValue)i)];
        return args.Length == 1 ? 0 : (long)await scripts.RunAsync(JobScripts.RenewLeases, keys.JobScriptKeys(jobId), args);
    }

    /// <summary>Records final results of one job's items; returns how many were new and the job's status.</summary>
    public async Task<(long Recorded, string Status)> CompleteAsync(string jobId, IReadOnlyList<ItemCompletion> completions)
    {
        const int group = 9;
        var args = new RedisValue[completions.Count * group];
        for (var i = 0; i < completions.Count; i++)
        {
            var c = completions[i];
            var at = i * group;
            args[at] = c.Index;
            args[at + 1] = c.Succeeded ? "s" : "f";
            args[at + 2] = c.ResultJson;
            args[at + 3] = c.Usage.InputTokens;
            args[at + 4] = c.Usage.OutputTokens;
            args[at + 5] = c.CostPico;
            args[at + 6] = c.Usage.CachedInputTokens;
            args[at + 7] = c.Usage.CacheWriteTokens;
            args[at + 8] = c.Usage.ReasoningTokens;
        }
        var tenant = await TenantOfAsync(jobId);
        var raw = (RedisResult[])(await scripts.RunAsync(JobScripts.CompleteItems, keys.JobScriptKeys(jobId, tenant), args))!;
        return ((long)raw[0], raw[1].ToString());
    }

    /// <summary>The tenant a job belongs to (null when the job is gone: then no tenant counter is touched).</summary>
    private async Task<string?> TenantOfAsync(string jobId)
    {
        if (_tenants.TryGetValue(jobId, out var known)) return known;
        var tenant = await Db.HashGetAsync(keys.JobMeta(jobId), "tenant");
        if (!tenant.HasValue) return null;
        if (_tenants.Count > 10_000) _tenants.Clear();
        return _tenants[jobId] = tenant.ToString();
    }

    /// <summary>
    /// Reserves an item's worst-case cost against its job's budget before its call is sent (reserve_budget.lua).
    /// False when it does not fit: the job's budget is then closed and <paramref name="refusal"/> recorded on it.
    /// </summary>
    public async Task<bool> ReserveBudgetAsync(string jobId, long index, long worstCasePico, ItemError refusal)
    {
        var raw = (RedisResult[])(await scripts.RunAsync(JobScripts.ReserveBudget, keys.JobScriptKeys(jobId),
            [index, worstCasePico, JsonSerializer.Serialize(refusal, BatchJson.Options)]))!;
        return (long)raw[0] == 1;
    }

    /// <summary>A job's budget in picodollars, or null when it has none.</summary>
    public async Task<long?> BudgetOfAsync(string jobId)
    {
        var budget = await Db.HashGetAsync(keys.JobMeta(jobId), "budget_pico");
        return budget.HasValue ? (long)budget : null;
    }

    public async Task<(long Rescheduled, string Status)> RescheduleAsync(string jobId, IReadOnlyList<ItemReschedule> items)
    {
        var args = new RedisValue[items.Count * 4];
        for (var i = 0; i < items.Count; i++)
        {
            var r = items[i];
            args[i * 4] = r.Index;
            args[i * 4 + 1] = (long)Math.Ceiling(Math.Max(0, r.Delay.TotalMilliseconds));
            args[i * 4 + 2] = JsonSerializer.SerializeToUtf8Bytes(r.History, BatchJson.Options);
            args[i * 4 + 3] = r.Kind switch
            {
                RescheduleKind.Retry => "retry",
                RescheduleKind.RateLimited => "rate_limited",
                _ => "release",
            };
        }
        var raw = (RedisResult[])(await scripts.RunAsync(JobScripts.RescheduleItems, keys.JobScriptKeys(jobId), args))!;
        return ((long)raw[0], raw[1].ToString());
    }

    /// <summary>
    /// Fails up to <paramref name="max"/> unfinished items of a job past its deadline with <c>batch_expired</c>;
    /// <c>More</c> says another call is needed. A job not yet due answers at once with nothing done.
    /// </summary>
    public async Task<(string Status, bool More)> ExpireAsync(string jobId, int max = 500)
    {
        var raw = (RedisResult[])(await scripts.RunAsync(JobScripts.ExpireJob, keys.JobScriptKeys(jobId), [max]))!;
        return (raw[0].ToString(), (long)raw[1] == 1);
    }

    public async Task<(long Reaped, string Status)> ReapExpiredLeasesAsync(string jobId, int max = 1000)
    {
        var raw = (RedisResult[])(await scripts.RunAsync(JobScripts.ReapExpiredLeases, keys.JobScriptKeys(jobId), [max]))!;
        return ((long)raw[0], raw[1].ToString());
    }
}
