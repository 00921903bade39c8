using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.FakeProvider;

namespace BatchAspire.Tests.Providers;

/// <summary>The Anthropic Messages provider over real HTTP against the fake: wire format, translation, usage, errors, limits.</summary>
public sealed class AnthropicProviderTests
{
    private const string Model = "claude-sonnet-4-5";

    /// <summary>A user text of exactly 994 o200k tokens: with the fake's 3 + 3 overhead, a prompt of 1000.</summary>
    internal static readonly string PromptOf1000 = string.Join(" ", Enumerable.Repeat("hi", 994));

    [Fact]
    public async Task A_chat_completions_item_is_translated_to_messages_and_its_answer_back_to_a_chat_completion()
    {
        // The local fake: its answer has a thinking block and two text blocks to join.
        await using var h = await ProviderHarness.StartLocalAsync();
        var response = await h.SendAsync(Model, """
            {"messages":[
              {"role":"system","content":"Be brief."},
              {"role":"developer","content":"Answer in English."},
              {"role":"user","content":[{"type":"text","text":"What is in this picture?"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
                {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg","detail":"high"}}]},
              {"role":"assistant","content":"A cat."},
              {"role":"user","content":"And its colour?"}],
             "max_completion_tokens":300,"temperature":0.5,"top_p":0.9,"stop":["END","STOP"],"user":"u-42"}
            """);

        Assert.Equal(ProviderOutcome.Success, response.Outcome);
        var sent = h.RequestsTo("/v1/messages").Single();
        Assert.Equal("2023-06-01", sent.Headers["anthropic-version"]);
        Assert.Equal("fake-key", sent.Headers["x-api-key"]);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        var body = sent.Json;
        Assert.Equal(Model, body.GetProperty("model").GetString());
        Assert.Equal(300, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Be brief.\n\nAnswer in English.", body.GetProperty("system").GetString());
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble());
        Assert.Equal(["END", "STOP"], body.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("u-42", body.GetProperty("metadata").GetProperty("user_id").GetString());
        var messages = body.GetProperty("messages");
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        var parts = messages[0].GetProperty("content");
        Assert.Equal("text", parts[0].GetProperty("type").GetString());
        Assert.Equal("image", parts[1].GetProperty("type").GetString());
        Assert.Equal("base64", parts[1].GetProperty("source").GetProperty("type").GetString());
        Assert.Equal("image/png", parts[1].GetProperty("source").GetProperty("media_type").GetString());
        Assert.Equal("iVBORw0KGgo=", parts[1].GetProperty("source").GetProperty("data").GetString());
        Assert.Equal("url", parts[2].GetProperty("source").GetProperty("type").GetString());
        Assert.Equal("https://example.com/cat.jpg", parts[2].GetProperty("source").GetProperty("url").GetString());
        Assert.Equal("And its colour?", messages[2].GetProperty("content").GetString());

        var chat = ProviderHarness.Json(response);
        Assert.Equal("chat.completion", chat.GetProperty("object").GetString());
        Assert.Equal("msg_fake01", chat.GetProperty("id").GetString());
        Assert.Equal(Model, chat.GetProperty("model").GetString());
        var choice = chat.GetProperty("choices")[0];
        Assert.Equal("Hello there", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(response.Usage!.InputTokens, chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(5, chat.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
    }

    [Fact]
    public async Task Without_max_tokens_the_translated_request_asks_for_the_documented_default_of_4096()
    {
        await using var h = await ProviderHarness.StartAsync();
        await h.SendAsync(Model, """{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(4096, h.RequestsTo("/v1/messages").Single().Json.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task Max_tokens_stop_reason_becomes_finish_reason_length()
    {
        await using var h = await ProviderHarness.StartAsync(new FakeProviderOptions { DefaultCompletionTokens = 1000 });
        var response = await h.SendAsync(Model, """{"max_tokens":50,"messages":[{"role":"user","content":"write a lot"}]}""");
        var choice = ProviderHarness.Json(response).GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(50, response.Usage!.OutputTokens);
    }

    [Fact]
    public async Task A_native_messages_item_passes_through_unchanged_and_its_answer_is_kept_native()
    {
        await using var h = await ProviderHarness.StartAsync();
        const string native = """{"model":"claude-haiku-4-5","max_tokens":64,"system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]}""";
        var response = await h.SendAsync("ignored", native, "/v1/messages");
        Assert.Equal(ProviderOutcome.Success, response.Outcome);
        var sent = h.RequestsTo("/v1/messages").Single().Json;
        Assert.Equal("ephemeral", sent.GetProperty("system")[0].GetProperty("cache_control").GetProperty("type").GetString());
        Assert.Equal("message", ProviderHarness.Json(response).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Usage_counts_cache_reads_and_writes_as_input_as_billed()
    {
        await using var h = await ProviderHarness.StartAsync(
            new FakeProviderOptions { CachedPromptTokens = 300, CacheWriteTokens = 100, DefaultCompletionTokens = 200 });
        var response = await h.SendAsync(Model, $$"""{"messages":[{"role":"user","content":"{{PromptOf1000}}"}]}""");
        // Anthropic reports input_tokens 600 outside cache_read 300 and cache_creation 100.
        Assert.Equal(new TokenUsage(1000, 200, CachedInputTokens: 300, CacheWriteTokens: 100), response.Usage);
        var usage = ProviderHarness.Json(response).GetProperty("usage");
        Assert.Equal(1000, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(300, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
    }

    [Theory]
    [InlineData("[[fake:429:7000]]", ProviderOutcome.RateLimited, "rate_limit_error", 429)]
    [InlineData("[[fake:529]]", ProviderOutcome.Transient, "overloaded_error", 529)]
    [InlineData("[[fake:500]]", ProviderOutcome.Transient, "api_error", 500)]
    [InlineData("[[fake:400]]", ProviderOutcome.Permanent, "invalid_request_error", 400)]
    [InlineData("[[fake:quota]]", ProviderOutcome.QuotaExhausted, "insufficient_quota", 400)]
    [InlineData("[[fake:spend]]", ProviderOutcome.QuotaExhausted, "insufficient_quota", 400)]
    [InlineData("[[fake:billing]]", ProviderOutcome.QuotaExhausted, "insufficient_quota", 402)]
    public async Task Each_error_is_classified(string marker, ProviderOutcome outcome, string code, int status)
    {
        await using var h = await ProviderHarness.StartAsync();
        var response = await h.SendAsync(Model, $$"""{"messages":[{"role":"user","content":"{{marker}}"}]}""");
        Assert.Equal(outcome, response.Outcome);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, response.Error!.Code);
        if (outcome == ProviderOutcome.RateLimited) Assert.Equal(TimeSpan.FromSeconds(7), response.RetryAfter);
    }

    [Fact]
    public async Task Rate_limit_headers_are_parsed_into_the_snapshot()
    {
        // The local fake: the shared one has no separate input/output token limits.
        await using var h = await ProviderHarness.StartLocalAsync();
        var limits = (await h.SendAsync(Model, """{"messages":[{"role":"user","content":"hi"}]}""")).Limits!;
        Assert.Equal(50, limits.LimitRequests);
        Assert.Equal(49, limits.RemainingRequests);
        Assert.Equal(TimeSpan.FromSeconds(2), limits.ResetRequests); // RFC 3339 instant minus the response's Date
        Assert.Equal(100000, limits.LimitTokens);
        Assert.Equal(99000, limits.RemainingTokens);
        Assert.Equal(TimeSpan.FromSeconds(3), limits.ResetTokens);
        Assert.Equal(80000, limits.LimitInputTokens);
        Assert.Equal(79000, limits.RemainingInputTokens);
        Assert.Equal(TimeSpan.FromSeconds(4), limits.ResetInputTokens);
        Assert.Equal(16000, limits.LimitOutputTokens);
        Assert.Equal(15900, limits.RemainingOutputTokens);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.ResetOutputTokens);

        var limited = await h.SendAsync(Model, """{"messages":[{"role":"user","content":"[[429]]"}]}""");
        Assert.Equal(49, limited.Limits!.RemainingRequests);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""", "items[0].body.tools")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":2}""", "items[0].body.n")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"logprobs":true}""", "items[0].body.logprobs")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{}}}""", "items[0].body.response_format")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}""", "items[0].body.response_format")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":1.5}""", "items[0].body.temperature")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}""", "items[0].body.messages[0].content[0]")]
    [InlineData("""{"messages":[{"role":"tool","tool_call_id":"t","content":"42"}]}""", "items[0].body.messages[0].tool_call_id")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]}""", "items[0].body.messages[0].content[0].image_url.url")]
    public async Task What_cannot_be_translated_is_refused_at_submit_naming_the_field(string body, string param)
    {
        await using var h = await ProviderHarness.StartAsync();
        var (item, error) = h.Validate(Model, body);
        Assert.Null(item);
        Assert.Equal("untranslatable_request", error!.Code);
        Assert.Equal(param, error.Param);
        Assert.Contains("Anthropic", error.Message);
    }

    [Fact]
    public async Task Embeddings_and_gemini_urls_are_refused_for_an_anthropic_model()
    {
        await using var h = await ProviderHarness.StartAsync();
        Assert.Equal("items[0].url", h.Validate(Model, """{"input":"x"}""", "/v1/embeddings").Error!.Param);
        Assert.Equal("items[0].url", h.Validate(Model, """{"contents":[]}""", ":generateContent").Error!.Param);
    }
}
