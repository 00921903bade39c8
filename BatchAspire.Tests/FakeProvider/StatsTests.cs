using System.Net;
using BatchAspire.FakeProvider;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static BatchAspire.Tests.FakeProvider.FakeProviderCalls;

namespace BatchAspire.Tests.FakeProvider;

public sealed class StatsTests
{
    [Fact]
    public async Task Calls_per_custom_id_count_every_http_call_carrying_the_header()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 2 }, cancellationToken: Ct);
        using var client = Client(fake);

        (await client.ChatAsync(customId: "item-a")).Dispose();
        (await client.ChatAsync(customId: "item-b")).Dispose();
        using var retried = await client.ChatAsync(customId: "item-a");
        (await client.ChatAsync()).Dispose();

        Assert.Equal(HttpStatusCode.TooManyRequests, retried.StatusCode);
        var stats = fake.Stats;
        Assert.Equal(new Dictionary<string, long> { ["item-a"] = 2, ["item-b"] = 1 }, stats.CallsPerCustomId);
        Assert.Equal(2, stats.MaxCallsForAnyCustomId);
        Assert.Equal(4, stats.Requests);

        using var root = new HttpClient { BaseAddress = fake.RootUrl };
        using var json = await root.GetAsync("stats", Ct);
        var body = await json.JsonAsync();
        Assert.Equal(2, body.GetProperty("calls_per_custom_id").GetProperty("item-a").GetInt64());
        Assert.Equal(2, body.GetProperty("max_calls_for_any_custom_id").GetInt64());
        Assert.Equal(2, body.GetProperty("accepted").GetInt64());
        Assert.Equal(2, body.GetProperty("rejected_rate_limit").GetInt64());
        Assert.Equal(2, body.GetProperty("peak_requests_per_minute").GetInt64());

        using var reset = await root.PostAsync("stats/reset", null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Empty(fake.Stats.CallsPerCustomId);
        Assert.Equal(0, fake.Stats.Requests);
        Assert.Equal(0, fake.Stats.PeakRequestsPerMinute);
    }

    [Fact]
    public async Task Peaks_are_the_highest_rolling_sums_of_accepted_work_and_usage_totals_add_up()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), time, Ct);
        using var client = Client(fake);
        var cost = PromptTokensOfOneMessage("Hello") + 16;

        for (var i = 0; i < 3; i++)
        {
            (await client.ChatAsync()).Dispose();
        }

        time.Advance(TimeSpan.FromSeconds(61));
        for (var i = 0; i < 2; i++)
        {
            (await client.ChatAsync()).Dispose();
        }

        var stats = fake.Stats;
        Assert.Equal(3, stats.PeakRequestsPerMinute);
        Assert.Equal(3 * cost, stats.PeakTokensPerMinute);
        Assert.Equal(3, stats.PeakRequestsPerSecond);
        Assert.Equal(5, stats.Succeeded);
        Assert.Equal(5 * PromptTokensOfOneMessage("Hello"), stats.PromptTokens);
        Assert.Equal(5 * 16, stats.CompletionTokens);

        fake.ResetStats();
        Assert.Equal(0, fake.Stats.Succeeded);
    }
}
