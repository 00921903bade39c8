using System.Globalization;
using System.Text.Json;
using BatchAspire.Core.Store;
using BatchAspire.Core.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Core.Jobs;

/// <summary>Jobs as the Api sees them: create, read, list, cancel, and read results.</summary>
public sealed class JobStore(IConnectionMultiplexer redis, JobScripts scripts, RedisKeys keys, IOptions<StoreOptions> options)
{
    private const int WriteChunk = 1000;
    private const int MaxWritesInFlight = 8;

    /// <summary>A job being staged expires on its own if the process dies before it goes live.</summary>
    private static readonly TimeSpan StagingTtl = TimeSpan.FromHours(1);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Stores a validated job and makes it live atomically: it is either complete or absent.</summary>
    public async Task CreateAsync(NewJob job)
    {
        var db = Db;
        var itemsKey = keys.JobItems(job.Id);
        var idsKey = keys.JobIds(job.Id);
        var pending = new List<Task>();
        for (var start = 0; start < job.Items.Count; start += WriteChunk)
        {
            var count = Math.Min(WriteChunk, job.Items.Count - start);
            var items = new HashEntry[count];
            var ids = new HashEntry[count];
            for (var i = 0; i < count; i++)
            {
                var item = job.Items[start + i];
                items[i] = new HashEntry(start + i, JsonSerializer.SerializeToUtf8Bytes(item, BatchJson.Options));
                ids[i] = new HashEntry(item.CustomId, start + i);
            }
            pending.Add(db.HashSetAsync(itemsKey, items));
            pending.Add(db.HashSetAsync(idsKey, ids));
            if (start == 0)
            {
                pending.Add(db.KeyExpireAsync(itemsKey, StagingTtl));
                pending.Add(db.KeyExpireAsync(idsKey, StagingTtl));
            }
            if (pending.Count >= MaxWritesInFlight)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);

        await GoLiveAsync(job, job.Items.Count, null);
    }

    /// <summary>
    /// Writes a job's items to staging in chunks as they arrive, so an input of any size passes through in
    /// constant memory. Nothing runs until <see cref="GoLiveAsync"/>; staged items left behind expire.
    /// </summary>
    /// <returns>How many items were staged (their indexes are 0..count-1 in arrival order).</returns>
    public async Task<long> StageItemsAsync(string jobId, IAsyncEnumerable<StoredItem> items, CancellationToken cancellationToken = default)
    {
        const int MaxChunkBytes = 4 * 1024 * 1024;
        var db = Db;
        var itemsKey = keys.JobItems(jobId);
        var idsKey = keys.JobIds(jobId);
        var pending = new List<Task>();
        var itemChunk = new List<HashEntry>(WriteChunk);
        var idChunk = new List<HashEntry>(WriteChunk);
        long count = 0, chunkBytes = 0;
        var first = true;

        async Task FlushAsync()
        {
            if (itemChunk.Count == 0) return;
            pending.Add(db.HashSetAsync(itemsKey, [.. itemChunk]));
            pending.Add(db.HashSetAsync(idsKey, [.. idChunk]));
            if (first)
            {
                pending.Add(db.KeyExpireAsync(itemsKey, StagingTtl));
                pending.Add(db.KeyExpireAsync(idsKey, StagingTtl));
                first = false;
            }
            itemChunk.Clear();
            idChunk.Clear();
            chunkBytes = 0;
            if (pending.Count >= MaxWritesInFlight)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(item, BatchJson.Options);
            itemChunk.Add(new HashEntry(count, json));
            idChunk.Add(new HashEntry(item.CustomId, count));
            count++;
            chunkBytes += json.Length;
            if (itemChunk.Count >= WriteChunk || chunkBytes >= MaxChunkBytes) await FlushAsync();
        }
        await FlushAsync();
        await Task.WhenAll(pending);
        return count;
    }

    /// <summary>
    /// Makes a job with <paramref name="total"/> staged items live in one atomic step; with
    /// <paramref name="errors"/>, stores it as failed at validation instead (staged items are dropped, nothing runs).
    /// </summary>
    public async Task GoLiveAsync(NewJob job, long total, IReadOnlyList<InputLineError>? errors)
    {
        var createdAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        List<RedisValue> args =
        [
            job.Id, createdAt,
            "id", job.Id,
            "tenant", job.Tenant,
            "mode", job.Mode,
            "model", job.Model ?? "",
            "total", errors is null ? total : 0,
            "created_at", createdAt,
            "retention_s", (long)options.Value.Retention.TotalSeconds,
            "metadata", job.Metadata is null ? "" : JsonSerializer.Serialize(job.Metadata, BatchJson.Options),
            .. (job.BudgetPico is { } budget ? new RedisValue[] { "budget_pico", budget, "reserved_pico", 0 } : []),
            // The submitting request's trace, so every item attempt's span can link back to it.
            JobTraceContexts.MetaField, JobTraceContexts.CurrentTraceparent() ?? "",
        ];
        if (job.InputFileId is not null) args.AddRange(["input_file_id", job.InputFileId]);
        if (job.Endpoint is not null) args.AddRange(["endpoint", job.Endpoint]);
        if (job.CompletionWindow is not null) args.AddRange(["completion_window", job.CompletionWindow]);
        if (job.CompletionWindowLength is { } window) args.AddRange(["completion_window_s", (long)Math.Ceiling(window.TotalSeconds)]);
        if (job.Plan is { } plan)
        {
            args.AddRange(["mode_decision", plan.Dispatch, "mode_reason", plan.Reason]);
            if (plan.EstimatedCostPico is { } estimate) args.AddRange(["estimated_cost_pico", estimate]);
        }
        if (errors is not null) args.AddRange(["status", JobStatus.Failed, "errors", JsonSerializer.Serialize(errors, BatchJson.Options)]);

        var created = (int)await scripts.RunAsync(JobScripts.CreateJob, [.. keys.JobScriptKeys(job.Id, job.Tenant), keys.EconomyJobs], [.. args]);
        if (created != 1)
        {
            throw new InvalidOperationException($"Job {job.Id} already exists.");
        }
    }

    /// <summary>The job, or null when it does not exist or belongs to another tenant.</summary>
    public async Task<Job?> GetAsync(string tenant, string jobId)
    {
        var job = await GetAnyAsync(jobId);
        return job is not null && job.Tenant == tenant ? job : null;
    }

    public async Task<Job?> GetAnyAsync(string jobId)
    {
        if (!JobIdFormat.IsValid(jobId)) return null;
        var db = Db;
        var meta = db.HashGetAllAsync(keys.JobMeta(jobId));
        var leased = db.SortedSetLengthAsync(keys.JobLeased(jobId));
        var delayed = db.SortedSetLengthAsync(keys.JobDelayed(jobId));
        await Task.WhenAll(meta, leased, delayed);
        return meta.Result.Length == 0 ? null : ToJob(meta.Result, leased.Result, delayed.Result);
    }

    public async Task<JobPage> ListAsync(string tenant, int limit, string? after, string? status, Func<Job, bool>? where = null)
    {
        var db = Db;
        var index = keys.TenantJobs(tenant);
        long start = 0;
        if (after is not null)
        {
            var rank = await db.SortedSetRankAsync(index, after, Order.Descending);
            if (rank is null) return new JobPage([], false);
            start = rank.Value + 1;
        }

        var jobs = new List<Job>(limit);
        // Read ahead a little: expired jobs are dropped from the index lazily, and a status filter skips some.
        while (jobs.Count < limit)
        {
            var window = Math.Max(limit * 2, 20);
            var ids = await db.SortedSetRangeByRankAsync(index, start, start + window - 1, Order.Descending);
            if (ids.Length == 0) return new JobPage(jobs, false);
            var found = await Task.WhenAll(ids.Select(id => GetAnyAsync(id!)));
            for (var i = 0; i < ids.Length; i++)
            {
                start++;
                if (found[i] is not { } job)
                {
                    _ = db.SortedSetRemoveAsync(index, ids[i], CommandFlags.FireAndForget);
                    continue;
                }
                if ((status is null || job.Status == status) && (where is null || where(job))) jobs.Add(job);
                if (jobs.Count == limit)
                {
                    var more = await db.SortedSetLengthAsync(index) > start;
                    return new JobPage(jobs, more);
                }
            }
        }
        return new JobPage(jobs, false);
    }

    /// <summary>Stops new dispatches; returns the job after the call, or null when it is not this tenant's.</summary>
    public async Task<Job?> CancelAsync(string tenant, string jobId)
    {
        if (await GetAsync(tenant, jobId) is null) return null;
        await scripts.RunAsync(JobScripts.CancelJob, keys.JobScriptKeys(jobId), []);
        return await GetAnyAsync(jobId);
    }

    /// <summary>Results of items [start, start+count) in input order; unfinished items are skipped.</summary>
    public async Task<IReadOnlyList<byte[]>> ReadResultsInOrderAsync(string jobId, long start, int count)
    {
        var fields = new RedisValue[count];
        for (var i = 0; i < count; i++) fields[i] = start + i;
        var values = await Db.HashGetAsync(keys.JobResults(jobId), fields);
        return [.. values.Where(v => v.HasValue).Select(v => (byte[])v!)];
    }

    /// <summary>Results of items [start, start+count) with their indexes; unfinished items are skipped.</summary>
    public async Task<IReadOnlyList<(long Index, byte[] Json)>> ReadIndexedResultsAsync(string jobId, long start, int count)
    {
        var fields = new RedisValue[count];
        for (var i = 0; i < count; i++) fields[i] = start + i;
        var values = await Db.HashGetAsync(keys.JobResults(jobId), fields);
        var found = new List<(long, byte[])>(count);
        for (var i = 0; i < count; i++)
        {
            if (values[i].HasValue) found.Add((start + i, (byte[])values[i]!));
        }
        return found;
    }

    /// <summary>Results in completion order from <paramref name="offset"/>; for following a running job.</summary>
    /// <returns>The results, and how many completion entries were consumed (the next offset is offset + consumed).</returns>
    public async Task<(IReadOnlyList<byte[]> Results, int Consumed)> ReadResultsInCompletionOrderAsync(string jobId, long offset, int count)
    {
        var db = Db;
        var stop = count == int.MaxValue ? -1 : offset + count - 1;
        var indexes = await db.ListRangeAsync(keys.JobDone(jobId), offset, stop);
        if (indexes.Length == 0) return ([], 0);
        var values = await db.HashGetAsync(keys.JobResults(jobId), indexes);
        return ([.. values.Where(v => v.HasValue).Select(v => (byte[])v!)], indexes.Length);
    }

    /// <summary>The most recently finished <paramref name="count"/> results, newest first.</summary>
    public async Task<IReadOnlyList<byte[]>> ReadRecentResultsAsync(string jobId, int count)
    {
        var db = Db;
        var indexes = await db.ListRangeAsync(keys.JobDone(jobId), -count, -1);
        if (indexes.Length == 0) return [];
        Array.Reverse(indexes);
        var values = await db.HashGetAsync(keys.JobResults(jobId), indexes);
        return [.. values.Where(v => v.HasValue).Select(v => (byte[])v!)];
    }

    /// <summary>One item's state, result and attempt timeline, by custom_id.</summary>
    public async Task<ItemDetail?> GetItemAsync(string jobId, string customId)
    {
        var db = Db;
        var index = await db.HashGetAsync(keys.JobIds(jobId), customId);
        if (!index.HasValue) return null;
        var result = db.HashGetAsync(keys.JobResults(jobId), index);
        var history = db.HashGetAsync(keys.JobHistory(jobId), index);
        var leased = db.SortedSetScoreAsync(keys.JobLeased(jobId), index);
        var delayed = db.SortedSetScoreAsync(keys.JobDelayed(jobId), index);
        await Task.WhenAll(result, history, leased, delayed);

        var state = result.Result.HasValue ? "finished"
            : leased.Result.HasValue ? "in_flight"
            : delayed.Result.HasValue ? "retrying"
            : "pending";
        return new ItemDetail(
            customId,
            (long)index,
            state,
            result.Result.HasValue ? JsonDocument.Parse((byte[])result.Result!).RootElement : null,
            history.Result.HasValue ? JsonSerializer.Deserialize<List<AttemptRecord>>((byte[])history.Result!, BatchJson.Options) : null,
            delayed.Result is { } due ? (long)due : null);
    }

    private static Job ToJob(HashEntry[] entries, long leased, long delayed)
    {
        var f = entries.ToDictionary(e => e.Name.ToString(), e => e.Value);
        string S(string name) => f.TryGetValue(name, out var v) ? v.ToString() : "";
        long L(string name) => f.TryGetValue(name, out var v) && long.TryParse(v.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        long? T(string name) => L(name) is var n && n > 0 ? n : null;

        var total = L("total");
        var completed = L("succeeded");
        var failed = L("failed");
        var metadata = S("metadata");
        var error = S("error");
        var errors = S("errors");
        string? N(string name) => S(name) is { Length: > 0 } v ? v : null;
        return new Job
        {
            Id = S("id"),
            Tenant = S("tenant"),
            Status = S("status"),
            Mode = N("mode_decision") ?? S("mode"),
            RequestedMode = S("mode"),
            ModeReason = N("mode_reason"),
            EstimatedCostUsd = f.ContainsKey("estimated_cost_pico") ? Money.ToUsd(L("estimated_cost_pico")) : null,
            Model = S("model") is { Length: > 0 } m ? m : null,
            CreatedAt = L("created_at"),
            InProgressAt = T("in_progress_at"),
            CancellingAt = T("cancelling_at"),
            CancelledAt = T("cancelled_at"),
            CompletedAt = T("completed_at"),
            FinalizingAt = T("finalizing_at"),
            FailedAt = T("failed_at"),
            ExpiredAt = T("expired_at"),
            ExpiresAt = T("expires_at"),
            FinishedAt = T("finished_at"),
            Counts = new JobCounts(total, completed, failed, leased, delayed, Math.Max(0, total - completed - failed - leased - delayed)),
            Usage = new TokenUsage(L("input_tokens"), L("output_tokens"), L("cached_input_tokens"), L("cache_write_tokens"), L("reasoning_tokens")),
            CostUsd = Money.ToUsd(L("cost_pico")),
            MaxCostUsd = f.ContainsKey("budget_pico") ? Money.ToUsd(L("budget_pico")) : null,
            Retries = L("retries"),
            RateLimited = L("rate_limited"),
            Metadata = metadata.Length > 0 ? JsonSerializer.Deserialize<Dictionary<string, string>>(metadata, BatchJson.Options) : null,
            Error = error.Length > 0 ? JsonSerializer.Deserialize<ItemError>(error, BatchJson.Options) : null,
            Errors = errors.Length > 0 ? JsonSerializer.Deserialize<List<InputLineError>>(errors, BatchJson.Options) : null,
            InputFileId = N("input_file_id"),
            Endpoint = N("endpoint"),
            CompletionWindow = N("completion_window"),
        };
    }
}

public sealed record JobPage(IReadOnlyList<Job> Jobs, bool HasMore);

public sealed record ItemDetail(string CustomId, long Index, string State, JsonElement? Result, List<AttemptRecord>? Attempts, long? RetryDueAtMs);

/// <summary>Job ids are generated by us; anything else is not looked up at all.</summary>
public static class JobIdFormat
{
    public static bool IsValid(string id) =>
        id.Length is > 4 and <= 64 && id.StartsWith("job_", StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept("0123456789abcdef") < 0;
}

/// <summary>Money is counted in integer picodollars (1e-12 USD), so sums are exact at any per-token price.</summary>
public static class Money
{
    public const long PicosPerUsd = 1_000_000_000_000;
    public static decimal ToUsd(long picos) => picos / (decimal)PicosPerUsd;
    public static long FromUsd(decimal usd) => (long)decimal.Round(usd * PicosPerUsd, MidpointRounding.AwayFromZero);
}
