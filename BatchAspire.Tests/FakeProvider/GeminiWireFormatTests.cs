using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using BatchAspire.FakeProvider;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static BatchAspire.Tests.FakeProvider.FakeProviderCalls;

namespace BatchAspire.Tests.FakeProvider;

/// <summary>The fake's Gemini generateContent wire format: shape, auth, errors with details, limits and usage.</summary>
public sealed class GeminiWireFormatTests
{
    private const string Path = "v1beta/models/gemini-2.5-flash:generateContent";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static HttpClient GeminiClient(FakeProviderServer fake, string? apiKey = "k")
    {
        var client = new HttpClient { BaseAddress = fake.RootUrl };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-goog-api-key", apiKey);
        }

        return client;
    }

    private static JsonObject Body(string text = "Hello", int? maxOutputTokens = null, string? system = null)
    {
        var body = new JsonObject
        {
            ["contents"] = new JsonArray(new JsonObject { ["role"] = "user", ["parts"] = new JsonArray(new JsonObject { ["text"] = text }) }),
        };
        if (system is not null)
        {
            body["systemInstruction"] = new JsonObject { ["parts"] = new JsonArray(new JsonObject { ["text"] = system }) };
        }

        if (maxOutputTokens is { } max)
        {
            body["generationConfig"] = new JsonObject { ["maxOutputTokens"] = max };
        }

        return body;
    }

    private static JsonElement Detail(JsonElement error, string type) =>
        error.GetProperty("details").EnumerateArray().Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc." + type);

    [Fact]
    public async Task Generate_content_answers_candidates_with_text_finish_reason_and_usage_metadata_by_the_documented_rule()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = GeminiClient(fake);
        var body = Body("Describe", system: "Be brief.");
        ((JsonArray)body["contents"]!).Add(new JsonObject { ["role"] = "model", ["parts"] = new JsonArray(new JsonObject { ["text"] = "A dog." }) });
        ((JsonArray)body["contents"]!).Add(new JsonObject
        {
            ["role"] = "user",
            ["parts"] = new JsonArray(
                new JsonObject { ["text"] = "More" },
                new JsonObject { ["inlineData"] = new JsonObject { ["mimeType"] = "image/png", ["data"] = "iVBORw0KGgo=" } },
                new JsonObject { ["text"] = "please" }),
        });

        using var response = await client.PostJsonAsync(Path, body);
        var json = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var candidate = json.GetProperty("candidates")[0];
        Assert.Equal("model", candidate.GetProperty("content").GetProperty("role").GetString());
        Assert.Equal("Fake reply to: More please", candidate.GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal("STOP", candidate.GetProperty("finishReason").GetString());
        Assert.Equal(0, candidate.GetProperty("index").GetInt32());
        Assert.Equal("gemini-2.5-flash", json.GetProperty("modelVersion").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("responseId").GetString()));
        var usage = json.GetProperty("usageMetadata");
        // 3 + systemInstruction (3 + tokens) + each content (3 + tokens of its text parts).
        var prompt = 3 + (3 + Tokens("Be brief.")) + (3 + Tokens("Describe")) + (3 + Tokens("A dog.")) + (3 + Tokens("More") + Tokens("please"));
        Assert.Equal(prompt, usage.GetProperty("promptTokenCount").GetInt64());
        Assert.Equal(16, usage.GetProperty("candidatesTokenCount").GetInt64());
        Assert.Equal(prompt + 16, usage.GetProperty("totalTokenCount").GetInt64());
        Assert.False(usage.TryGetProperty("cachedContentTokenCount", out _));
        Assert.False(usage.TryGetProperty("thoughtsTokenCount", out _));
    }

    [Fact]
    public async Task Max_output_tokens_at_or_below_the_reply_length_finishes_with_max_tokens()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { DefaultCompletionTokens = 1000 }, _time, Ct);
        using var client = GeminiClient(fake);

        using var response = await client.PostJsonAsync(Path, Body(maxOutputTokens: 40));
        var json = await response.JsonAsync();

        Assert.Equal("MAX_TOKENS", json.GetProperty("candidates")[0].GetProperty("finishReason").GetString());
        Assert.Equal(40, json.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt64());
    }

    [Fact]
    public async Task Cached_tokens_are_inside_the_prompt_count_and_thoughts_outside_the_candidates_count()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { CachedPromptTokens = 4, ReasoningTokens = 50 }, _time, Ct);
        using var client = GeminiClient(fake);

        using var response = await client.PostJsonAsync(Path, Body("one two three four five six"));
        var usage = (await response.JsonAsync()).GetProperty("usageMetadata");

        var prompt = 3 + 3 + Tokens("one two three four five six");
        Assert.Equal(prompt, usage.GetProperty("promptTokenCount").GetInt64());
        Assert.Equal(4, usage.GetProperty("cachedContentTokenCount").GetInt64());
        Assert.Equal(16, usage.GetProperty("candidatesTokenCount").GetInt64());
        Assert.Equal(50, usage.GetProperty("thoughtsTokenCount").GetInt64());
        Assert.Equal(prompt + 16 + 50, usage.GetProperty("totalTokenCount").GetInt64());
        Assert.Equal(66, fake.Stats.CompletionTokens);
    }

    [Fact]
    public async Task A_wrong_key_is_400_api_key_invalid_a_missing_one_403_and_the_key_query_parameter_works()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = "right" }, _time, Ct);
        using var wrong = GeminiClient(fake, "wrong");
        using var none = GeminiClient(fake, null);

        using var wrongResponse = await wrong.PostJsonAsync(Path, Body());
        using var noneResponse = await none.PostJsonAsync(Path, Body());
        using var queryResponse = await none.PostJsonAsync(Path + "?key=right", Body());

        Assert.Equal(HttpStatusCode.BadRequest, wrongResponse.StatusCode);
        var error = (await wrongResponse.JsonAsync()).GetProperty("error");
        Assert.Equal(400, error.GetProperty("code").GetInt32());
        Assert.Equal("INVALID_ARGUMENT", error.GetProperty("status").GetString());
        Assert.Equal("API key not valid. Please pass a valid API key.", error.GetProperty("message").GetString());
        Assert.Equal("API_KEY_INVALID", Detail(error, "ErrorInfo").GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, noneResponse.StatusCode);
        Assert.Equal("PERMISSION_DENIED", (await noneResponse.JsonAsync()).GetProperty("error").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, queryResponse.StatusCode);
        Assert.Equal(2, fake.Stats.Unauthorized);
    }

    [Theory]
    [InlineData("""{"contents":[]}""", "contents is not specified")]
    [InlineData("""{"model":"gemini-2.5-flash","contents":[{"parts":[{"text":"hi"}]}]}""", "Unknown name \"model\": Cannot find field.")]
    [InlineData("""{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":0}}""", "max_output_tokens")]
    public async Task A_bad_request_gets_400_invalid_argument_naming_the_problem(string body, string message)
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = GeminiClient(fake);

        using var response = await client.PostJsonAsync(Path, JsonNode.Parse(body)!);
        var error = (await response.JsonAsync()).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", error.GetProperty("status").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Rpm_is_enforced_with_resource_exhausted_a_per_minute_quota_failure_and_retry_info()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 2 }, _time, Ct);
        using var client = GeminiClient(fake);

        using var first = await client.PostJsonAsync(Path, Body());
        _time.Advance(TimeSpan.FromSeconds(42.5));
        using var second = await client.PostJsonAsync(Path, Body());
        using var third = await client.PostJsonAsync(Path, Body());

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("", first.Header("x-ratelimit-limit-requests"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var error = (await third.JsonAsync()).GetProperty("error");
        Assert.Equal(429, error.GetProperty("code").GetInt32());
        Assert.Equal("RESOURCE_EXHAUSTED", error.GetProperty("status").GetString());
        var violation = Detail(error, "QuotaFailure").GetProperty("violations")[0];
        Assert.Equal("GenerateRequestsPerMinutePerProjectPerModel", violation.GetProperty("quotaId").GetString());
        Assert.Equal("gemini-2.5-flash", violation.GetProperty("quotaDimensions").GetProperty("model").GetString());
        Assert.Equal("2", violation.GetProperty("quotaValue").GetString());
        Assert.Equal("18s", Detail(error, "RetryInfo").GetProperty("retryDelay").GetString()); // 17.5 s rounded up
        Assert.Equal(1, fake.Stats.RejectedRequestsLimit);
    }

    [Fact]
    public async Task Tpm_rejections_name_the_input_token_quota()
    {
        var charge = 3 + 3 + Tokens("Hello") + 16;
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { TokensPerMinute = charge }, _time, Ct);
        using var client = GeminiClient(fake);

        using var first = await client.PostJsonAsync(Path, Body());
        using var second = await client.PostJsonAsync(Path, Body());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var error = (await second.JsonAsync()).GetProperty("error");
        Assert.Equal("GenerateContentInputTokensPerModelPerMinute", Detail(error, "QuotaFailure").GetProperty("violations")[0].GetProperty("quotaId").GetString());
        Assert.Equal("60s", Detail(error, "RetryInfo").GetProperty("retryDelay").GetString());
    }

    [Fact]
    public async Task Quota_exhausted_is_a_per_day_quota_failure_retrying_at_midnight_and_outage_is_503_unavailable()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = GeminiClient(fake);
        _time.Advance(TimeSpan.FromHours(23));

        fake.Options.QuotaExhausted = true;
        using var quota = await client.PostJsonAsync(Path, Body());
        fake.Options.QuotaExhausted = false;
        fake.Options.DownUntil = _time.GetUtcNow().AddMinutes(1);
        using var down = await client.PostJsonAsync(Path, Body());

        Assert.Equal(HttpStatusCode.TooManyRequests, quota.StatusCode);
        var error = (await quota.JsonAsync()).GetProperty("error");
        Assert.Equal("GenerateRequestsPerDayPerProjectPerModel-FreeTier", Detail(error, "QuotaFailure").GetProperty("violations")[0].GetProperty("quotaId").GetString());
        Assert.Equal("3600s", Detail(error, "RetryInfo").GetProperty("retryDelay").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        var unavailable = (await down.JsonAsync()).GetProperty("error");
        Assert.Equal("UNAVAILABLE", unavailable.GetProperty("status").GetString());
        Assert.False(unavailable.TryGetProperty("details", out _));
    }

    [Theory]
    [InlineData("429:17000", 429, "RESOURCE_EXHAUSTED")]
    [InlineData("quota", 429, "RESOURCE_EXHAUSTED")]
    [InlineData("500", 500, "INTERNAL")]
    [InlineData("503", 503, "UNAVAILABLE")]
    [InlineData("529", 503, "UNAVAILABLE")]
    [InlineData("400", 400, "INVALID_ARGUMENT")]
    [InlineData("billing", 400, "INVALID_ARGUMENT")]
    public async Task X_fake_fail_forces_each_error_in_geminis_shape(string kind, int status, string grpcStatus)
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), _time, Ct);
        using var client = GeminiClient(fake);
        client.DefaultRequestHeaders.Add("X-Fake-Fail", kind);

        using var response = await client.PostJsonAsync(Path, Body());
        var error = (await response.JsonAsync()).GetProperty("error");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(grpcStatus, error.GetProperty("status").GetString());
        if (kind == "429:17000")
        {
            Assert.Equal("17s", Detail(error, "RetryInfo").GetProperty("retryDelay").GetString());
        }

        if (kind == "billing")
        {
            Assert.Contains("Unknown X-Fake-Fail kind 'billing'", error.GetProperty("message").GetString());
        }

        Assert.Equal(0, fake.Stats.Accepted);
    }
}
