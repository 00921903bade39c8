using System.Globalization;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Store;
using StackExchange.Redis;

namespace BatchAspire.Core.Pricing;

/// <summary>
/// A tenant's usage and cost over all its jobs (<c>GET /api/usage</c>), counted by complete_items.lua in
/// the same step that records each result, so it always equals the sum of the tenant's recorded results.
/// It outlives the jobs (no retention TTL): it is the tenant's running account.
/// </summary>
public sealed record TenantUsage(TokenUsage Usage, decimal CostUsd, long Succeeded, long Failed)
{
    public string Object => "usage";
}

public sealed class TenantUsageStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    public async Task<TenantUsage> GetAsync(string tenant)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(keys.TenantUsage(tenant));
        var f = entries.ToDictionary(e => e.Name.ToString(), e => long.TryParse(e.Value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0);
        long L(string name) => f.GetValueOrDefault(name);
        return new TenantUsage(
            new TokenUsage(L("input_tokens"), L("output_tokens"), L("cached_input_tokens"), L("cache_write_tokens"), L("reasoning_tokens")),
            Money.ToUsd(L("cost_pico")), L("succeeded"), L("failed"));
    }
}
