using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.RateLimiting;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BatchAspire.Tests.RateLimiting;

/// <summary>The headroom the dashboard shows per scope comes from the limiter's real state in the store.</summary>
public sealed class RateLimitHeadroomTests
{
    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Headroom_shows_the_scopes_limits_what_is_reserved_and_what_is_in_flight(string storeName)
    {
        var store = TestStores.Get(storeName);
        using var host = TestHost.Build(store, TestStores.UniquePrefix(), worker: false, new Dictionary<string, string?>
        {
            ["BatchAspire:Providers:openai:Limits:RequestsPerMinute"] = "600",
            ["BatchAspire:Providers:openai:Limits:MaxConcurrency"] = "50",
        });
        var jobs = host.Services.GetRequiredService<JobStore>();
        var limits = host.Services.GetRequiredService<RateLimitStore>();
        var headroom = host.Services.GetRequiredService<IRateLimitHeadroom>();
        var body = JsonDocument.Parse("""{"model":"gpt-4o-mini","max_tokens":10,"messages":[]}""").RootElement;
        var job = new NewJob(NewJob.NewId(), "t", "fast", "gpt-4o-mini",
            [.. Enumerable.Range(0, 3).Select(i => new StoredItem($"c{i}", "openai", "gpt-4o-mini", "/v1/chat/completions", body))], null);
        await jobs.CreateAsync(job);

        var idle = Assert.Single(await headroom.ForJobAsync(job.Id, CancellationToken.None));
        var scope = new PermitScope("openai/gpt-4o-mini", new ScopeLimits(600, 0, 50), null, null, TimeSpan.FromMinutes(5));
        var granted = await limits.AcquireAsync(scope, [.. Enumerable.Range(0, 5).Select(i => new PermitRequest($"p{i}", 10, 10))]);
        var busy = Assert.Single(await headroom.ForJobAsync(job.Id, CancellationToken.None));

        Assert.Equal("openai/gpt-4o-mini", idle.Scope);
        Assert.Equal(600, idle.RequestsPerMinuteLimit);
        Assert.Equal(50, idle.MaxConcurrency);
        Assert.Equal(0, idle.InFlight);
        Assert.Null(idle.CooldownMs);
        Assert.NotEmpty(granted.Grants);
        Assert.Equal(granted.Grants.Count, busy.InFlight);
        Assert.True(busy.RequestsAvailable < idle.RequestsAvailable, $"reserving {granted.Grants.Count} left {busy.RequestsAvailable} of {idle.RequestsAvailable}");
    }
}
