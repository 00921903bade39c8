using System.Net;
using BatchAspire.FakeProvider;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static BatchAspire.Tests.FakeProvider.FakeProviderCalls;

namespace BatchAspire.Tests.FakeProvider;

public sealed class FaultInjectionTests
{
    [Fact]
    public async Task Quota_exhausted_switched_on_mid_run_gets_insufficient_quota_without_retry_after()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 100 }, cancellationToken: Ct);
        using var client = Client(fake);

        using var before = await client.ChatAsync();
        fake.Options.QuotaExhausted = true;
        using var during = await client.ChatAsync();
        fake.Options.QuotaExhausted = false;
        using var after = await client.ChatAsync();

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, during.StatusCode);
        var error = (await during.JsonAsync()).GetProperty("error");
        Assert.Equal("insufficient_quota", error.GetProperty("code").GetString());
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        Assert.StartsWith("You exceeded your current quota, please check your plan and billing details.", error.GetProperty("message").GetString());
        Assert.Equal("", during.Header("retry-after"));
        Assert.Equal("", during.Header("retry-after-ms"));
        Assert.Equal("100", during.Header("x-ratelimit-limit-requests"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(1, fake.Stats.RejectedQuota);
        Assert.Equal(0, fake.Stats.RejectedRateLimit);
        Assert.Equal(2, fake.Stats.Accepted);
    }

    [Fact]
    public async Task Admin_endpoint_switches_options_of_a_running_fake()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), cancellationToken: Ct);
        using var client = Client(fake);
        using var admin = new HttpClient { BaseAddress = fake.RootUrl };

        using var patched = await admin.PostJsonAsync("admin/options", new System.Text.Json.Nodes.JsonObject { ["quota_exhausted"] = true });
        using var response = await client.ChatAsync();

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.True(fake.Options.QuotaExhausted);
        Assert.Equal("insufficient_quota", (await response.JsonAsync()).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Server_error_rate_is_roughly_honoured_and_replays_with_the_same_seed()
    {
        var first = await CountServerErrorsAsync(seed: 7);
        var second = await CountServerErrorsAsync(seed: 7);

        Assert.InRange(first, 60, 140); // 25% of 400
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Dropped_connection_surfaces_as_HttpRequestException()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { DropConnectionRate = 1 }, cancellationToken: Ct);
        using var client = Client(fake);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.ChatAsync());

        Assert.Equal(1, fake.Stats.Dropped);
        Assert.Equal(1, fake.Stats.Accepted);
        Assert.Equal(0, fake.Stats.Succeeded);
    }

    [Fact]
    public async Task Outage_answers_503_until_down_until_has_passed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var fake = await FakeProviderServer.StartAsync(
            new FakeProviderOptions { DownUntil = time.GetUtcNow().AddSeconds(30) }, time, Ct);
        using var client = Client(fake);

        using var down = await client.ChatAsync();
        time.Advance(TimeSpan.FromSeconds(30));
        using var up = await client.ChatAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("server_error", (await down.JsonAsync()).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal(1, fake.Stats.OutageRejections);
        Assert.Equal(1, fake.Stats.Accepted);
    }

    [Fact]
    public async Task Slow_response_outlasts_a_client_timeout()
    {
        await using var fake = await FakeProviderServer.StartAsync(
            new FakeProviderOptions { SlowResponseRate = 1, SlowResponseMs = 30_000 }, cancellationToken: Ct);
        using var client = Client(fake);
        client.Timeout = TimeSpan.FromMilliseconds(300);

        await Assert.ThrowsAsync<TaskCanceledException>(() => client.ChatAsync());
    }

    private static async Task<int> CountServerErrorsAsync(int seed)
    {
        await using var fake = await FakeProviderServer.StartAsync(
            new FakeProviderOptions { ServerErrorRate = 0.25, Seed = seed }, cancellationToken: Ct);
        using var client = Client(fake);
        var errors = 0;
        for (var i = 0; i < 400; i++)
        {
            using var response = await client.ChatAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                continue;
            }

            errors++;
            Assert.Contains((int)response.StatusCode, new[] { 500, 502, 503 });
            Assert.Equal("server_error", (await response.JsonAsync()).GetProperty("error").GetProperty("type").GetString());
        }

        Assert.Equal(errors, fake.Stats.ServerErrors);
        Assert.Equal(400 - errors, fake.Stats.Succeeded);
        return errors;
    }
}
