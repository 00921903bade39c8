using System.Net;
using BatchAspire.FakeProvider;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static BatchAspire.Tests.FakeProvider.FakeProviderCalls;

namespace BatchAspire.Tests.FakeProvider;

/// <summary>The fake as referee: limits over rolling windows on a virtual clock, so nothing here depends on wall time.</summary>
public sealed class RateLimitTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Rpm_burst_admits_exactly_the_limit_and_429s_the_rest_with_retry_after()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 5 }, _time, Ct);
        using var client = Client(fake);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.ChatAsync()));

        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var rejected = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(15, rejected.Count);
        var error = (await rejected[0].JsonAsync()).GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("requests", error.GetProperty("type").GetString());
        Assert.Contains("Limit 5, Used 5, Requested 1. Please try again in 1m0s.", error.GetProperty("message").GetString());
        Assert.Equal("60", rejected[0].Header("retry-after"));
        Assert.Equal("60000", rejected[0].Header("retry-after-ms"));
        Assert.Equal(5, fake.Stats.Accepted);
        Assert.Equal(15, fake.Stats.RejectedRateLimit);
        Assert.Equal(5, fake.Stats.PeakRequestsPerMinute);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Rpm_window_rolls_instead_of_resetting_at_a_minute_boundary()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 4 }, _time, Ct);
        using var client = Client(fake);

        await AssertStatusesAsync(client, HttpStatusCode.OK, HttpStatusCode.OK);
        _time.Advance(TimeSpan.FromSeconds(30));
        await AssertStatusesAsync(client, HttpStatusCode.OK, HttpStatusCode.OK);
        using (var full = await client.ChatAsync())
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
            Assert.Equal("30000", full.Header("retry-after-ms"));
        }

        // A fixed window would start afresh here and admit 4; the rolling one has only freed the first 2.
        _time.Advance(TimeSpan.FromSeconds(30));
        await AssertStatusesAsync(client, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests);
        Assert.Equal(4, fake.Stats.PeakRequestsPerMinute);
    }

    [Fact]
    public async Task Tpm_counts_prompt_tokens_plus_requested_max_tokens()
    {
        const string text = "Classify this article about renewable energy.";
        var cost = PromptTokensOfOneMessage(text) + 100;
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { TokensPerMinute = 3 * cost }, _time, Ct);
        using var client = Client(fake);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 4; i++)
        {
            last?.Dispose();
            last = await client.ChatAsync(text, maxTokens: 100);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        var error = (await last!.JsonAsync()).GetProperty("error");
        Assert.Equal("tokens", error.GetProperty("type").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Contains($"Limit {3 * cost}, Used {3 * cost}, Requested {cost}.", error.GetProperty("message").GetString());
        Assert.Equal(3 * cost, fake.Stats.PeakTokensPerMinute);
        last!.Dispose();
    }

    [Fact]
    public async Task Tpm_charges_the_default_completion_tokens_when_max_tokens_is_absent()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { TokensPerMinute = 10_000 }, _time, Ct);
        using var client = Client(fake);

        using var response = await client.ChatAsync("Hello there");

        Assert.Equal((10_000 - PromptTokensOfOneMessage("Hello there") - 16).ToString(), response.Header("x-ratelimit-remaining-tokens"));
    }

    [Fact]
    public async Task Request_larger_than_the_tpm_limit_is_too_large_and_has_no_retry_after()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { TokensPerMinute = 50 }, _time, Ct);
        using var client = Client(fake);

        using var response = await client.ChatAsync("Hello", maxTokens: 1000);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var error = (await response.JsonAsync()).GetProperty("error");
        Assert.Equal("tokens", error.GetProperty("type").GetString());
        Assert.StartsWith("Request too large", error.GetProperty("message").GetString());
        Assert.Equal("", response.Header("retry-after"));
        Assert.Equal("", response.Header("retry-after-ms"));
    }

    [Fact]
    public async Task Per_second_slices_spread_the_minute_limit_over_rolling_seconds()
    {
        await using var fake = await FakeProviderServer.StartAsync(
            new FakeProviderOptions { RequestsPerMinute = 120, PerSecondSlices = true }, _time, Ct);
        using var client = Client(fake);

        var burst = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.ChatAsync()));
        Assert.Equal(2, burst.Count(r => r.StatusCode == HttpStatusCode.OK));
        var rejected = burst.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal("1000", rejected.Header("retry-after-ms"));
        Assert.Equal("1", rejected.Header("retry-after"));
        Assert.Contains("per 1s slice: Limit 2, Used 2", (await rejected.JsonAsync()).GetProperty("error").GetProperty("message").GetString());

        _time.Advance(TimeSpan.FromMilliseconds(999));
        await AssertStatusesAsync(client, HttpStatusCode.TooManyRequests);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await AssertStatusesAsync(client, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests);
        Assert.Equal(2, fake.Stats.PeakRequestsPerSecond);
        Assert.Equal(4, fake.Stats.PeakRequestsPerMinute);
        foreach (var response in burst)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 1)]
    [InlineData(60, 1)]
    [InlineData(61, 2)]
    [InlineData(1200, 20)]
    [InlineData(200_000, 3334)]
    public void Per_second_slice_is_the_ceiling_of_a_sixtieth_and_at_least_one(long perMinute, long perSecond) =>
        Assert.Equal(perSecond, LimitEnforcer.SliceOf(perMinute));

    [Fact]
    public async Task Rate_limit_headers_report_limit_remaining_and_time_until_the_window_is_empty()
    {
        await using var fake = await FakeProviderServer.StartAsync(
            new FakeProviderOptions { RequestsPerMinute = 2, TokensPerMinute = 10_000 }, _time, Ct);
        using var client = Client(fake);

        using var first = await client.ChatAsync("Hi");
        _time.Advance(TimeSpan.FromSeconds(45));
        using var second = await client.ChatAsync("Hi");
        _time.Advance(TimeSpan.FromMilliseconds(250));
        using var rejected = await client.ChatAsync("Hi");

        var cost = PromptTokensOfOneMessage("Hi") + 16;
        Assert.Equal("2", first.Header("x-ratelimit-limit-requests"));
        Assert.Equal("1", first.Header("x-ratelimit-remaining-requests"));
        Assert.Equal("1m0s", first.Header("x-ratelimit-reset-requests"));
        Assert.Equal("10000", first.Header("x-ratelimit-limit-tokens"));
        Assert.Equal((10_000 - cost).ToString(), first.Header("x-ratelimit-remaining-tokens"));
        Assert.Equal("1m0s", first.Header("x-ratelimit-reset-tokens"));
        Assert.Equal("0", second.Header("x-ratelimit-remaining-requests"));
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.Equal("0", rejected.Header("x-ratelimit-remaining-requests"));
        Assert.Equal((10_000 - 2 * cost).ToString(), rejected.Header("x-ratelimit-remaining-tokens"));
        Assert.Equal("59.75s", rejected.Header("x-ratelimit-reset-requests"));
        Assert.Equal("14750", rejected.Header("retry-after-ms"));
        Assert.Equal("15", rejected.Header("retry-after"));
    }

    [Fact]
    public async Task Rate_limit_headers_can_be_switched_off_and_are_absent_for_unset_limits()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 10 }, _time, Ct);
        using var client = Client(fake);

        using var withHeaders = await client.ChatAsync();
        fake.Options.SendRateLimitHeaders = false;
        using var without = await client.ChatAsync();

        Assert.Equal("10", withHeaders.Header("x-ratelimit-limit-requests"));
        Assert.Equal("", withHeaders.Header("x-ratelimit-limit-tokens"));
        Assert.DoesNotContain(without.Headers, h => h.Key.StartsWith("x-ratelimit", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Requests_beyond_max_concurrency_get_429()
    {
        // Latency only keeps the first two in flight while the others arrive; nothing asserts on time.
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { MaxConcurrency = 2, LatencyMs = 3000 }, _time, Ct);
        using var client = Client(fake);

        var first = Enumerable.Range(0, 2).Select(_ => client.ChatAsync()).ToList();
        while (fake.Stats.CurrentInFlight < 2)
        {
            await Task.Delay(10, Ct);
        }

        using var rejected = await client.ChatAsync();
        var admitted = await Task.WhenAll(first);

        Assert.All(admitted, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.Equal("requests", (await rejected.JsonAsync()).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(1, fake.Stats.RejectedConcurrency);
        Assert.Equal(2, fake.Stats.MaxInFlight);
        Assert.Equal(0, fake.Stats.CurrentInFlight);
        foreach (var response in admitted)
        {
            response.Dispose();
        }
    }

    private static async Task AssertStatusesAsync(HttpClient client, params HttpStatusCode[] expected)
    {
        var actual = new List<HttpStatusCode>();
        foreach (var _ in expected)
        {
            using var response = await client.ChatAsync();
            actual.Add(response.StatusCode);
        }

        Assert.Equal(expected, actual);
    }
}
