using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using BatchAspire.Core.Store;
using StackExchange.Redis;

namespace BatchAspire.Core.Jobs;

/// <summary>What a Worker needs to know about an item's job to run it: its metadata (own limits) and its deadline.</summary>
public sealed record JobRunSettings(IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset? ExpiresAt)
{
    public static readonly JobRunSettings Default = new(null, null);
}

/// <summary>
/// Job settings as Workers read them: one store read per job per <see cref="Freshness"/>, not per item
/// (a job's metadata never changes after creation; a deadline is rarely added).
/// </summary>
public sealed class JobRunSettingsCache(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, JobRunSettings Settings)> _cache = new();

    public async ValueTask<JobRunSettings> GetAsync(string jobId)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(jobId, out var cached) && now - cached.ReadAt < Freshness) return cached.Settings;
        JobRunSettings settings;
        try
        {
            var values = await redis.GetDatabase().HashGetAsync(keys.JobMeta(jobId), ["metadata", "expires_at"]);
            settings = new JobRunSettings(
                values[0].HasValue && values[0].ToString() is { Length: > 0 } json ? JsonSerializer.Deserialize<Dictionary<string, string>>(json, BatchJson.Options) : null,
                values[1].HasValue && long.TryParse(values[1].ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var expires) && expires > 0
                    ? DateTimeOffset.FromUnixTimeSeconds(expires) : null);
        }
        catch (JsonException)
        {
            settings = JobRunSettings.Default;
        }
        if (_cache.Count > 10_000) _cache.Clear();
        _cache[jobId] = (now, settings);
        return settings;
    }
}
