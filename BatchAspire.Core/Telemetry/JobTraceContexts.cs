using System.Collections.Concurrent;
using System.Diagnostics;
using BatchAspire.Core.Store;
using StackExchange.Redis;

namespace BatchAspire.Core.Telemetry;

/// <summary>
/// The trace context of the request that submitted each job (meta field <c>traceparent</c>), read once per
/// job per process and cached, so item spans can link to it without a store round trip per item.
/// </summary>
public sealed class JobTraceContexts(IConnectionMultiplexer redis, RedisKeys keys)
{
    public const string MetaField = "traceparent";
    private const int MaxCached = 4096;
    private readonly ConcurrentDictionary<string, Task<ActivityContext?>> _cache = new(StringComparer.Ordinal);

    /// <summary>The W3C <c>traceparent</c> of the current activity, or null when there is none.</summary>
    public static string? CurrentTraceparent() =>
        Activity.Current is { } a && a.TraceId != default
            ? $"00-{a.TraceId.ToHexString()}-{a.SpanId.ToHexString()}-{((a.ActivityTraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}"
            : null;

    /// <summary>The submit context of a job; null when it had none or the store could not be read.</summary>
    public async ValueTask<ActivityContext?> GetAsync(string jobId)
    {
        // No listener means no span to link from: skip the store entirely.
        if (!BatchTelemetry.Source.HasListeners()) return null;
        if (_cache.Count > MaxCached) _cache.Clear();
        var read = _cache.GetOrAdd(jobId, ReadAsync);
        try
        {
            return await read;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _cache.TryRemove(jobId, out _); // try again for the next item
            return null;
        }
    }

    private async Task<ActivityContext?> ReadAsync(string jobId)
    {
        var value = await redis.GetDatabase().HashGetAsync(keys.JobMeta(jobId), MetaField);
        return value.HasValue && ActivityContext.TryParse(value.ToString(), null, isRemote: true, out var context) ? context : null;
    }
}
