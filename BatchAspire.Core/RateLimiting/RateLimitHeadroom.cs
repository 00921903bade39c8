using System.Globalization;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Store;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Core.RateLimiting;

/// <summary>
/// The headroom of the scopes a job uses, read from the limiter's own state: configured (or learned) limits, what
/// the GCRA schedule has already reserved ahead of now, permits in flight, and any 429 cooldown.
/// </summary>
public sealed class RateLimitHeadroom(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ProvidersOptions> providers) : IRateLimitHeadroom
{
    /// <summary>How many of a job's first items are sampled for the scopes it uses (jobs rarely mix models).</summary>
    private const int ItemSample = 50;

    public async Task<IReadOnlyList<ScopeHeadroom>> ForJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var sample = await db.HashGetAsync(keys.JobItems(jobId), [.. Enumerable.Range(0, ItemSample).Select(i => (RedisValue)i)]);
        var routes = sample.Where(v => v.HasValue)
            .Select(v => JsonSerializer.Deserialize<StoredItem>((byte[])v!, BatchJson.Options)!)
            .Select(i => (i.Provider, i.Model)).Distinct().ToList();
        var nowMs = (await redis.GetServer(redis.GetEndPoints()[0]).TimeAsync()).Subtract(DateTime.UnixEpoch).TotalMilliseconds;

        var result = new List<ScopeHeadroom>(routes.Count);
        foreach (var (provider, model) in routes)
        {
            if (!providers.Value.TryGetValue(provider, out var options)) continue;
            var configured = RateLimitScopes.ScopeLimitsOf(options, model);
            // As RateLimitScopes.Resolve: the simulator without limits is not limited, so it has no headroom to show.
            if (string.Equals(options.Type, ProviderTypes.Simulated, StringComparison.OrdinalIgnoreCase) && !configured.Any) continue;
            var scope = $"{provider}/{model}";
            var state = (await db.HashGetAllAsync(keys.LimitState(scope))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
            double D(string field) => state.TryGetValue(field, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : 0;
            long? Limit(int configuredValue, string learned) => configuredValue > 0 ? configuredValue : D(learned) is > 0 and var l ? (long)l : null;
            // GCRA: the schedule's theoretical arrival time runs ahead of now by what is already reserved this minute.
            long? Available(long? perMinute, string tat) =>
                perMinute is { } limit ? (long)Math.Max(0, limit - Math.Max(0, D(tat) - nowMs) * limit / 60_000) : null;

            var rpm = Limit(configured.RequestsPerMinute, "learned_rpm");
            var tpm = Limit(configured.TokensPerMinute, "learned_tpm");
            var inFlight = await db.SortedSetLengthAsync(keys.LimitPermits(scope), nowMs, double.PositiveInfinity);
            var cooldown = D("cooldown_until") - nowMs;
            result.Add(new ScopeHeadroom(
                scope,
                rpm, Available(rpm, "tat_req"),
                tpm, Available(tpm, "tat_tok"),
                configured.MaxConcurrency > 0 ? configured.MaxConcurrency : null,
                inFlight,
                cooldown > 0 ? (long)cooldown : null));
        }
        return result;
    }
}
