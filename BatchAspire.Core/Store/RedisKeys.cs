using StackExchange.Redis;

namespace BatchAspire.Core.Store;

/// <summary>The one place that knows every Redis key. Keys of one job share the hash tag <c>{job_id}</c>.</summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    /// <summary>Ids of jobs with work to dispatch, rotated for round-robin scheduling.</summary>
    public RedisKey ActiveJobs => Prefix + "active";

    /// <summary>Ids of jobs that run through provider batch APIs (economy, waves), for the Workers' EconomyPollers.</summary>
    public RedisKey EconomyJobs => Prefix + "economy";

    /// <summary>An economy job's provider batches: chunk number → ProviderBatchRecord JSON.</summary>
    public RedisKey JobProviderBatches(string jobId) => $"{Prefix}{{{jobId}}}:pbatches";

    /// <summary>The claim of the Worker that drives an economy job (a lease with expiry, like an item's).</summary>
    public RedisKey JobEconomyClaim(string jobId) => $"{Prefix}{{{jobId}}}:economy_claim";

    public RedisKey TenantJobs(string tenant) => $"{Prefix}tenant:{tenant}:jobs";

    /// <summary>The tenant's running usage and cost counters (<c>GET /api/usage</c>).</summary>
    public RedisKey TenantUsage(string tenant) => $"{Prefix}tenant:{tenant}:usage";

    public RedisKey JobMeta(string jobId) => $"{Prefix}{{{jobId}}}:meta";
    public RedisKey JobItems(string jobId) => $"{Prefix}{{{jobId}}}:items";
    public RedisKey JobResults(string jobId) => $"{Prefix}{{{jobId}}}:results";
    public RedisKey JobDone(string jobId) => $"{Prefix}{{{jobId}}}:done";
    public RedisKey JobIds(string jobId) => $"{Prefix}{{{jobId}}}:ids";
    public RedisKey JobLeased(string jobId) => $"{Prefix}{{{jobId}}}:leased";
    public RedisKey JobDelayed(string jobId) => $"{Prefix}{{{jobId}}}:delayed";
    public RedisKey JobHistory(string jobId) => $"{Prefix}{{{jobId}}}:history";

    public RedisKey TenantFiles(string tenant) => $"{Prefix}tenant:{tenant}:files";
    public RedisKey FileMeta(string fileId) => $"{Prefix}file:{{{fileId}}}:meta";
    /// <summary>An uploaded file's content, as a list of raw byte chunks in order.</summary>
    public RedisKey FileLines(string fileId) => $"{Prefix}file:{{{fileId}}}:lines";

    /// <summary>The KEYS layout of the file scripts (create_file, delete_file): meta, lines, tenant index.</summary>
    public RedisKey[] FileScriptKeys(string fileId, string tenant) => [FileMeta(fileId), FileLines(fileId), TenantFiles(tenant)];
    /// <summary>Rate-limit state of a limit scope (<c>provider/model</c>): GCRA arrival times, cooldown, quota stop, learned limits, token accounting.</summary>
    public RedisKey LimitState(string scope) => $"{Prefix}limit:{{{scope}}}:state";

    /// <summary>Concurrency permits of a limit scope: permit id → expiry (ms), so a crashed Worker's slots free themselves.</summary>
    public RedisKey LimitPermits(string scope) => $"{Prefix}limit:{{{scope}}}:permits";

    /// <summary>A scope's sends of the last slice (member <c>permit|cost</c> → send time), per dimension (<c>req</c>, <c>tok</c>).</summary>
    public RedisKey LimitSlice(string scope, string dimension) => $"{Prefix}limit:{{{scope}}}:slice:{dimension}";

    /// <summary>A job's own (lower) limits within a scope; same hash tag, so one script touches one slot.</summary>
    public RedisKey LimitJobState(string scope, string jobId) => $"{Prefix}limit:{{{scope}}}:job:{jobId}:state";

    public RedisKey LimitJobPermits(string scope, string jobId) => $"{Prefix}limit:{{{scope}}}:job:{jobId}:permits";

    /// <summary>
    /// The fixed KEYS layout every job script takes (documented in Scripts/_lib.lua). Only create_job
    /// (tenant index) and complete_items (tenant usage) touch tenant keys, so only they pass the tenant.
    /// </summary>
    public RedisKey[] JobScriptKeys(string jobId, string? tenant = null)
    {
        RedisKey[] jobKeys =
        [
        JobMeta(jobId),
        JobItems(jobId),
        $"{Prefix}{{{jobId}}}:ready",
        JobLeased(jobId),
        JobDelayed(jobId),
        JobResults(jobId),
        JobDone(jobId),
        JobHistory(jobId),
        JobIds(jobId),
        ActiveJobs,
        ];
        return tenant is null ? jobKeys : [.. jobKeys, TenantJobs(tenant), TenantUsage(tenant)];
    }
}
