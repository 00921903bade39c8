using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Store;
using StackExchange.Redis;

namespace BatchAspire.Core.Modes.Economy;

/// <summary>The durable state of economy jobs: the pollers' job list, per-job claims, provider batch records, the chunk cursor.</summary>
public sealed class ProviderBatchStore(IConnectionMultiplexer redis, RedisKeys keys, JobScripts scripts)
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<IReadOnlyList<string>> EconomyJobIdsAsync() =>
        [.. (await Db.ListRangeAsync(keys.EconomyJobs)).Select(v => v.ToString())];

    /// <summary>Claims the job for this Worker, or extends its own claim; false when another Worker holds it.</summary>
    public async Task<bool> ClaimAsync(string jobId, string worker, TimeSpan duration)
    {
        var db = Db;
        var key = keys.JobEconomyClaim(jobId);
        if (await db.StringSetAsync(key, worker, duration, When.NotExists)) return true;
        // Our own claim: extend it. A claim that lapsed between the two calls is simply taken again next tick.
        if (await db.StringGetAsync(key) == worker)
        {
            await db.KeyExpireAsync(key, duration);
            return true;
        }
        return false;
    }

    public Task ReleaseAsync(string jobId) => Db.KeyDeleteAsync(keys.JobEconomyClaim(jobId));

    /// <summary>A finished job leaves the pollers' list; its batch records keep the job's retention.</summary>
    public async Task ForgetAsync(string jobId, TimeSpan retention)
    {
        var db = Db;
        await db.ListRemoveAsync(keys.EconomyJobs, jobId);
        await db.KeyExpireAsync(keys.JobProviderBatches(jobId), retention);
        await db.KeyDeleteAsync(keys.JobEconomyClaim(jobId));
    }

    public async Task<Dictionary<string, RedisValue>> MetaAsync(string jobId) =>
        (await Db.HashGetAllAsync(keys.JobMeta(jobId))).ToDictionary(e => e.Name.ToString(), e => e.Value);

    public async Task<List<ProviderBatchRecord>> RecordsAsync(string jobId) =>
        [.. (await Db.HashValuesAsync(keys.JobProviderBatches(jobId)))
            .Select(v => JsonSerializer.Deserialize<ProviderBatchRecord>((byte[])v!, BatchJson.Options)!)
            .OrderBy(r => r.Chunk)];

    /// <summary>Stores a record; a new one also moves the chunk cursor past its items, in one transaction.</summary>
    public async Task SaveAsync(string jobId, ProviderBatchRecord record, bool advanceCursor = false)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(record, BatchJson.Options);
        if (!advanceCursor)
        {
            await Db.HashSetAsync(keys.JobProviderBatches(jobId), record.Chunk, json);
            return;
        }
        var tx = Db.CreateTransaction();
        _ = tx.HashSetAsync(keys.JobProviderBatches(jobId), record.Chunk, json);
        _ = tx.HashSetAsync(keys.JobMeta(jobId), [new HashEntry("pb_cursor", record.End), new HashEntry("pb_chunks", record.Chunk + 1)]);
        await tx.ExecuteAsync();
    }

    /// <summary>Moves the chunk cursor past items that were failed without a provider batch.</summary>
    public Task SkipAsync(string jobId, long cursor) => Db.HashSetAsync(keys.JobMeta(jobId), "pb_cursor", cursor);

    /// <summary>Items [start, start+count) as stored.</summary>
    public async Task<StoredItem?[]> ItemsAsync(string jobId, long start, int count)
    {
        var fields = new RedisValue[count];
        for (var i = 0; i < count; i++) fields[i] = start + i;
        var values = await Db.HashGetAsync(keys.JobItems(jobId), fields);
        return [.. values.Select(v => v.HasValue ? JsonSerializer.Deserialize<StoredItem>((byte[])v!, BatchJson.Options) : null)];
    }

    /// <summary>custom_id → index for the given ids (null when the job has no such item).</summary>
    public async Task<long?[]> IndexesAsync(string jobId, IReadOnlyList<string> customIds)
    {
        var values = await Db.HashGetAsync(keys.JobIds(jobId), [.. customIds.Select(c => (RedisValue)c)]);
        return [.. values.Select(v => v.HasValue ? (long?)(long)v : null)];
    }

    /// <summary>Indexes in [start, end) that have no result yet.</summary>
    public async Task<List<long>> UnfinishedAsync(string jobId, long start, long end)
    {
        var unfinished = new List<long>();
        for (var from = start; from < end; from += 1000)
        {
            var count = (int)Math.Min(1000, end - from);
            var fields = new RedisValue[count];
            for (var i = 0; i < count; i++) fields[i] = from + i;
            var results = await Db.HashGetAsync(keys.JobResults(jobId), fields);
            for (var i = 0; i < count; i++) if (!results[i].HasValue) unfinished.Add(from + i);
        }
        return unfinished;
    }

    /// <summary>Moves the job to the fast path with <paramref name="reason"/> (fall_back_to_fast.lua); false when it was not an in-progress economy job.</summary>
    public async Task<bool> FallBackToFastAsync(string jobId, string reason)
    {
        // The full layout (tenant keys included) so the economy list lands at KEYS[13], as _lib.lua documents.
        var tenant = (string?)await Db.HashGetAsync(keys.JobMeta(jobId), "tenant") ?? "";
        return (long)await scripts.RunAsync(JobScripts.FallBackToFast, [.. keys.JobScriptKeys(jobId, tenant), keys.EconomyJobs], [reason]) == 1;
    }

    /// <summary>No provider batch is submitted before this time (the provider said to try later).</summary>
    public Task SetNextSubmitAsync(string jobId, long atMs) => Db.HashSetAsync(keys.JobMeta(jobId), "pb_next_submit_ms", atMs);

    public Task SetReasonAsync(string jobId, string reason) => Db.HashSetAsync(keys.JobMeta(jobId), "mode_reason", reason);
}
