using System.Globalization;
using BatchAspire.Core.Store;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Core.RateLimiting;

/// <summary>One item's claim on a scope: its permit id, the token estimate to reserve, and how late it may reach the provider.</summary>
public sealed record PermitRequest(string PermitId, long PromptTokens, long MaxOutputTokens, long LatenessAllowanceMs = 0);

/// <summary>A granted slot: send <see cref="Offset"/> after the store answered, reserving <see cref="Tokens"/>.</summary>
public readonly record struct PermitGrant(TimeSpan Offset, long Tokens);

/// <summary>
/// The store's answer for a batch: the first <c>Grants.Count</c> items may go, each at <see cref="StoreNow"/> plus
/// its offset (the store's clock); the rest retry after <see cref="RetryIn"/>.
/// </summary>
public sealed record AcquireResult(IReadOnlyList<PermitGrant> Grants, TimeSpan RetryIn, string Reason, string? Message, DateTimeOffset StoreNow)
{
    public const string Ok = "ok";
    public const string Rate = "rate";
    public const string Concurrency = "concurrency";
    public const string Cooldown = "cooldown";
    public const string Quota = "quota";
}

/// <summary>
/// What became of one permit: the tokens it reserved, the tokens the call used (-1: not admitted, so its request and
/// tokens come back), how far the provider's window charged differently from the reservation, output to learn from (-1: none).
/// </summary>
public readonly record struct PermitRelease(string PermitId, long ReservedTokens, long ActualTokens, long BucketDelta, long OutputTokens);

/// <summary>What the provider told us about the whole scope along with the calls being released.</summary>
public sealed record ScopeFeedback(TimeSpan Cooldown, TimeSpan QuotaStop, string? QuotaMessage, Providers.RateLimitSnapshot? Snapshot)
{
    public static readonly ScopeFeedback None = new(TimeSpan.Zero, TimeSpan.Zero, null, null);
    public bool IsUrgent => Cooldown > TimeSpan.Zero || QuotaStop > TimeSpan.Zero;
}

/// <summary>A scope's counters, for dashboards and tests: what was reserved, refunded, charged and actually used.</summary>
public sealed record ScopeAccounting(
    long RequestsGranted, long RequestsReleased, long RequestsNotAdmitted,
    long TokensReserved, long TokensRefunded, long TokensExtra, long TokensActual,
    long LearnedRpm, long LearnedTpm, double AverageOutput, DateTimeOffset? CooldownUntil, DateTimeOffset? QuotaStopUntil,
    long AcquireCalls, long ReleaseCalls)
{
    /// <summary>Store round trips the limiter cost per granted call.</summary>
    public double RoundTripsPerCall => RequestsGranted == 0 ? 0 : (AcquireCalls + ReleaseCalls) / (double)RequestsGranted;

    /// <summary>Reserved minus refunded plus charged: what the limiter holds against the scope for finished calls.</summary>
    public long TokensAccounted => TokensReserved - TokensRefunded + TokensExtra;
}

/// <summary>The typed wrapper of acquire_permit.lua and release_permit.lua: one store round trip each.</summary>
public sealed class RateLimitStore(IConnectionMultiplexer redis, JobScripts scripts, RedisKeys keys, IOptions<RateLimitOptions> options)
{
    private long _calls;

    /// <summary>Store round trips the limiter made (acquire and release calls).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public async Task<AcquireResult> AcquireAsync(PermitScope scope, IReadOnlyList<PermitRequest> items)
    {
        var o = options.Value;
        var job = scope.JobLimits ?? ScopeLimits.None;
        var args = new RedisValue[15 + items.Count * 4];
        args[0] = scope.Limits.RequestsPerMinute;
        args[1] = scope.Limits.TokensPerMinute;
        args[2] = scope.Limits.MaxConcurrency;
        args[3] = job.RequestsPerMinute;
        args[4] = job.TokensPerMinute;
        args[5] = job.MaxConcurrency;
        args[6] = (long)o.Burst.TotalMilliseconds;
        args[7] = (long)o.Horizon.TotalMilliseconds;
        args[8] = o.Utilization.ToString("R", CultureInfo.InvariantCulture);
        args[9] = o.UnknownLimitsConcurrency;
        args[10] = (long)scope.PermitTtl.TotalMilliseconds;
        args[11] = o.DefaultOutputTokens;
        args[12] = (long)o.ConcurrencyRetryDelay.TotalMilliseconds;
        args[13] = (long)TimeSpan.FromDays(1).TotalMilliseconds;
        args[14] = (long)o.Slice.TotalMilliseconds;
        for (var i = 0; i < items.Count; i++)
        {
            args[15 + i * 4] = items[i].PermitId;
            args[16 + i * 4] = items[i].PromptTokens;
            args[17 + i * 4] = items[i].MaxOutputTokens;
            args[18 + i * 4] = items[i].LatenessAllowanceMs;
        }
        Interlocked.Increment(ref _calls);
        var raw = (RedisResult[])(await scripts.RunAsync(JobScripts.AcquirePermit, Keys(scope), args))!;
        var granted = (int)raw[0];
        var reason = raw[2].ToString();
        var grants = new PermitGrant[granted];
        for (var i = 0; i < granted; i++)
        {
            grants[i] = new PermitGrant(TimeSpan.FromMilliseconds((long)raw[4 + i * 2]), (long)raw[5 + i * 2]);
        }
        var message = reason == AcquireResult.Quota && raw.Length > 4 ? raw[4].ToString() : null;
        return new AcquireResult(grants, TimeSpan.FromMilliseconds((long)raw[1]), reason, message, DateTimeOffset.FromUnixTimeMilliseconds((long)raw[3]));
    }

    public async Task ReleaseAsync(PermitScope scope, IReadOnlyList<PermitRelease> releases, ScopeFeedback feedback)
    {
        var s = feedback.Snapshot;
        var args = new RedisValue[9 + releases.Count * 5];
        args[0] = Ms(feedback.Cooldown);
        args[1] = Ms(feedback.QuotaStop);
        args[2] = feedback.QuotaMessage ?? "";
        args[3] = s?.LimitRequests ?? 0;
        args[4] = s?.LimitTokens ?? 0;
        args[5] = s?.RemainingRequests ?? -1;
        args[6] = s?.ResetRequests is { } rr ? Ms(rr) : 0;
        args[7] = s?.RemainingTokens ?? -1;
        args[8] = s?.ResetTokens is { } rt ? Ms(rt) : 0;
        for (var i = 0; i < releases.Count; i++)
        {
            args[9 + i * 5] = releases[i].PermitId;
            args[10 + i * 5] = releases[i].ReservedTokens;
            args[11 + i * 5] = releases[i].ActualTokens;
            args[12 + i * 5] = releases[i].BucketDelta;
            args[13 + i * 5] = releases[i].OutputTokens;
        }
        Interlocked.Increment(ref _calls);
        await scripts.RunAsync(JobScripts.ReleasePermit, Keys(scope), args);
    }

    /// <summary>The store's clock (Redis TIME), for calibrating a process's view of it.</summary>
    public async Task<DateTimeOffset> StoreTimeAsync()
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        return new DateTimeOffset(await server.TimeAsync(), TimeSpan.Zero);
    }

    public async Task<ScopeAccounting> AccountingAsync(string scope)
    {
        var f = (await redis.GetDatabase().HashGetAllAsync(keys.LimitState(scope))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        long L(string n) => f.TryGetValue(n, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) ? x : 0;
        double D(string n) => f.TryGetValue(n, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : 0;
        DateTimeOffset? T(string n) => L(n) is > 0 and var ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return new ScopeAccounting(
            L("requests_granted"), L("requests_released"), L("requests_not_admitted"),
            L("tokens_reserved"), L("tokens_refunded"), L("tokens_extra"), L("tokens_actual"),
            L("learned_rpm"), L("learned_tpm"), D("out_avg"), T("cooldown_until"), T("quota_stop_until"),
            L("acquire_calls"), L("release_calls"));
    }

    /// <summary>Marks the job with a scope-wide error (the first one wins), so a quota stop is visible on the job itself.</summary>
    public Task<bool> SetJobErrorOnceAsync(string jobId, string errorJson) =>
        redis.GetDatabase().HashSetAsync(keys.JobMeta(jobId), "error", errorJson, When.NotExists);

    private RedisKey[] Keys(PermitScope scope)
    {
        RedisKey[] scopeKeys = [keys.LimitState(scope.Scope), keys.LimitPermits(scope.Scope), keys.LimitSlice(scope.Scope, "req"), keys.LimitSlice(scope.Scope, "tok")];
        return scope.JobId is { } jobId ? [.. scopeKeys, keys.LimitJobState(scope.Scope, jobId), keys.LimitJobPermits(scope.Scope, jobId)] : scopeKeys;
    }

    private static long Ms(TimeSpan t) => (long)Math.Ceiling(Math.Max(0, t.TotalMilliseconds));
}
