using System.Net;
using System.Text.Json.Nodes;
using BatchAspire.FakeProvider;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static BatchAspire.Tests.FakeProvider.FakeProviderCalls;

namespace BatchAspire.Tests.FakeProvider;

/// <summary>The fake's Anthropic Messages wire format: shape, auth, errors, headers, limits and usage.</summary>
public sealed class AnthropicWireFormatTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    internal static HttpClient AnthropicClient(FakeProviderServer fake, string? apiKey = "k", string? version = "2023-06-01")
    {
        var client = new HttpClient { BaseAddress = fake.RootUrl };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        if (version is not null)
        {
            client.DefaultRequestHeaders.Add("anthropic-version", version);
        }

        return client;
    }

    internal static JsonObject MessagesBody(string text = "Hello", int maxTokens = 100, string? system = null)
    {
        var body = new JsonObject
        {
            ["model"] = "claude-sonnet-4-5",
            ["max_tokens"] = maxTokens,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        };
        if (system is not null)
        {
            body["system"] = system;
        }

        return body;
    }

    [Fact]
    public async Task Messages_answers_a_message_object_with_text_content_stop_reason_and_usage_by_the_documented_rule()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = AnthropicClient(fake);

        using var response = await client.PostJsonAsync("v1/messages", MessagesBody("What is the capital of France?", system: "Be brief."));
        var json = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("msg_", json.GetProperty("id").GetString());
        Assert.Equal("message", json.GetProperty("type").GetString());
        Assert.Equal("assistant", json.GetProperty("role").GetString());
        Assert.Equal("claude-sonnet-4-5", json.GetProperty("model").GetString());
        var content = json.GetProperty("content");
        Assert.Equal(1, content.GetArrayLength());
        Assert.Equal("text", content[0].GetProperty("type").GetString());
        Assert.Equal("Fake reply to: What is the capital of France?", content[0].GetProperty("text").GetString());
        Assert.Equal("end_turn", json.GetProperty("stop_reason").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("stop_sequence").ValueKind);
        var usage = json.GetProperty("usage");
        // 3 (priming) + system as a message (3 + tokens) + the user message (3 + tokens).
        var expected = 3 + 3 + Tokens("Be brief.") + 3 + Tokens("What is the capital of France?");
        Assert.Equal(expected, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(0, usage.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(0, usage.GetProperty("cache_creation_input_tokens").GetInt64());
        Assert.Equal(16, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(expected, fake.Stats.PromptTokens);
    }

    [Fact]
    public async Task System_and_content_blocks_count_each_text_block_and_nothing_else()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = AnthropicClient(fake);
        var body = MessagesBody();
        body["system"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Rule one.", ["cache_control"] = new JsonObject { ["type"] = "ephemeral" } });
        body["messages"] = new JsonArray(new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(
                new JsonObject { ["type"] = "text", ["text"] = "Look at" },
                new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = "image/png", ["data"] = "iVBORw0KGgo=" } },
                new JsonObject { ["type"] = "text", ["text"] = "this picture" }),
        });

        using var response = await client.PostJsonAsync("v1/messages", body);

        var expected = 3 + 3 + Tokens("Rule one.") + 3 + Tokens("Look at") + Tokens("this picture");
        Assert.Equal(expected, (await response.JsonAsync()).GetProperty("usage").GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task Max_tokens_at_or_below_the_reply_length_stops_with_max_tokens()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { DefaultCompletionTokens = 1000 }, _time, Ct);
        using var client = AnthropicClient(fake);

        using var response = await client.PostJsonAsync("v1/messages", MessagesBody(maxTokens: 50));
        var json = await response.JsonAsync();

        Assert.Equal("max_tokens", json.GetProperty("stop_reason").GetString());
        Assert.Equal(50, json.GetProperty("usage").GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task Cache_reads_and_writes_are_reported_outside_input_tokens()
    {
        await using var fake = await FakeProviderServer.StartAsync(
            new FakeProviderOptions { CachedPromptTokens = 5, CacheWriteTokens = 3 }, _time, Ct);
        using var client = AnthropicClient(fake);
        const string text = "one two three four five six seven eight nine ten";

        using var response = await client.PostJsonAsync("v1/messages", MessagesBody(text));
        var usage = (await response.JsonAsync()).GetProperty("usage");

        var prompt = 3 + 3 + Tokens(text);
        Assert.Equal(5, usage.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(3, usage.GetProperty("cache_creation_input_tokens").GetInt64());
        Assert.Equal(prompt - 8, usage.GetProperty("input_tokens").GetInt64());
    }

    [Theory]
    [InlineData(null, "x-api-key header is required")]
    [InlineData("wrong", "invalid x-api-key")]
    public async Task A_missing_or_wrong_key_gets_401_authentication_error(string? key, string message)
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = "right" }, _time, Ct);
        using var client = AnthropicClient(fake, apiKey: key);

        using var response = await client.PostJsonAsync("v1/messages", MessagesBody());
        var json = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("error", json.GetProperty("type").GetString());
        Assert.Equal("authentication_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(message, json.GetProperty("error").GetProperty("message").GetString());
        Assert.StartsWith("req_", json.GetProperty("request_id").GetString());
        Assert.Equal(1, fake.Stats.Unauthorized);
    }

    [Fact]
    public async Task The_right_key_in_x_api_key_is_accepted_and_a_bearer_header_is_not()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = "right" }, _time, Ct);
        using var good = AnthropicClient(fake, apiKey: "right");
        using var bearer = AnthropicClient(fake, apiKey: null);
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "right");

        using var ok = await good.PostJsonAsync("v1/messages", MessagesBody());
        using var refused = await bearer.PostJsonAsync("v1/messages", MessagesBody());

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory]
    [InlineData(null, """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "anthropic-version: header is required")]
    [InlineData("2023-06-01", """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Field required")]
    [InlineData("2023-06-01", """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}""", "messages: at least one message is required")]
    [InlineData("2023-06-01", """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}""", "messages.0.role: Input should be 'user' or 'assistant'")]
    [InlineData("2023-06-01", """{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "model: Field required")]
    public async Task A_bad_request_gets_400_invalid_request_error_naming_the_problem(string? version, string body, string message)
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = AnthropicClient(fake, version: version);

        using var response = await client.PostJsonAsync("v1/messages", JsonNode.Parse(body)!);
        var error = (await response.JsonAsync()).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Rpm_is_enforced_with_429_rate_limit_error_retry_after_and_rfc3339_resets()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 2, TokensPerMinute = 10_000 }, _time, Ct);
        using var client = AnthropicClient(fake);

        using var first = await client.PostJsonAsync("v1/messages", MessagesBody());
        _time.Advance(TimeSpan.FromSeconds(10));
        using var second = await client.PostJsonAsync("v1/messages", MessagesBody());
        using var third = await client.PostJsonAsync("v1/messages", MessagesBody());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("2", first.Header("anthropic-ratelimit-requests-limit"));
        Assert.Equal("1", first.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal("2026-01-01T00:01:00Z", first.Header("anthropic-ratelimit-requests-reset"));
        Assert.Equal("10000", first.Header("anthropic-ratelimit-tokens-limit"));
        Assert.Equal("2026-01-01T00:01:00Z", first.Header("anthropic-ratelimit-tokens-reset"));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), first.Headers.Date);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 10, TimeSpan.Zero), third.Headers.Date);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("2026-01-01T00:01:10Z", second.Header("anthropic-ratelimit-requests-reset"));

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var json = await third.JsonAsync();
        Assert.Equal("error", json.GetProperty("type").GetString());
        Assert.Equal("rate_limit_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("of 2 requests per minute", json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("50", third.Header("retry-after"));
        Assert.Equal("", third.Header("retry-after-ms"));
        Assert.Equal("0", third.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal(2, fake.Stats.Accepted);
        Assert.Equal(1, fake.Stats.RejectedRequestsLimit);
    }

    [Fact]
    public async Task Tpm_counts_prompt_and_max_tokens_as_in_the_openai_dialect()
    {
        var charge = 3 + 3 + Tokens("Hello") + 100;
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { TokensPerMinute = charge * 2 }, _time, Ct);
        using var client = AnthropicClient(fake);

        using var first = await client.PostJsonAsync("v1/messages", MessagesBody(maxTokens: 100));
        using var second = await client.PostJsonAsync("v1/messages", MessagesBody(maxTokens: 100));
        using var third = await client.PostJsonAsync("v1/messages", MessagesBody(maxTokens: 100));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(charge.ToString(System.Globalization.CultureInfo.InvariantCulture), first.Header("anthropic-ratelimit-tokens-remaining"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("tokens per minute", (await third.JsonAsync()).GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(1, fake.Stats.RejectedTokensLimit);
    }

    [Fact]
    public async Task Outage_and_503_faults_are_529_overloaded_error_and_quota_is_the_credit_balance_400()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = AnthropicClient(fake);

        fake.Options.DownUntil = _time.GetUtcNow().AddMinutes(1);
        using var down = await client.PostJsonAsync("v1/messages", MessagesBody());
        fake.Options.DownUntil = null;
        fake.Options.QuotaExhausted = true;
        using var quota = await client.PostJsonAsync("v1/messages", MessagesBody());

        Assert.Equal(529, (int)down.StatusCode);
        Assert.Equal("overloaded_error", (await down.JsonAsync()).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, quota.StatusCode);
        var error = (await quota.JsonAsync()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.StartsWith("Your credit balance is too low", error.GetProperty("message").GetString());
        Assert.Equal(1, fake.Stats.RejectedQuota);
        Assert.Equal(1, fake.Stats.OutageRejections);
    }

    [Theory]
    [InlineData("429:7000", 429, "rate_limit_error")]
    [InlineData("529", 529, "overloaded_error")]
    [InlineData("503", 529, "overloaded_error")]
    [InlineData("500", 500, "api_error")]
    [InlineData("400", 400, "invalid_request_error")]
    [InlineData("quota", 400, "invalid_request_error")]
    [InlineData("spend", 400, "invalid_request_error")]
    [InlineData("billing", 402, "billing_error")]
    public async Task X_fake_fail_forces_each_error_in_anthropics_shape_without_touching_the_windows(string kind, int status, string type)
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 10 }, _time, Ct);
        using var client = AnthropicClient(fake);
        client.DefaultRequestHeaders.Add("X-Fake-Fail", kind);

        using var response = await client.PostJsonAsync("v1/messages", MessagesBody());
        var json = await response.JsonAsync();

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("error", json.GetProperty("type").GetString());
        Assert.Equal(type, json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(kind == "429:7000" ? "7" : "", response.Header("retry-after"));
        Assert.Equal("10", response.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal(0, fake.Stats.Accepted);
    }

    [Fact]
    public async Task A_body_marker_with_a_count_fails_only_the_first_calls_of_that_body()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = AnthropicClient(fake);

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostJsonAsync("v1/messages", MessagesBody("retry me [[fake:529*2]]"));
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([529, 529, 200], statuses);
    }
}
