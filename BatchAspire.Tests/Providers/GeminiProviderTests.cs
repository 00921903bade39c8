using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.FakeProvider;

namespace BatchAspire.Tests.Providers;

/// <summary>The Gemini generateContent provider over real HTTP against the fake.</summary>
public sealed class GeminiProviderTests
{
    private const string Model = "gemini-2.5-flash";

    [Fact]
    public async Task A_chat_completions_item_is_translated_to_generate_content_and_its_answer_back_to_a_chat_completion()
    {
        // The local fake: its answer has a thought part to leave out and two parts to join.
        await using var h = await ProviderHarness.StartLocalAsync();
        var response = await h.SendAsync(Model, """
            {"messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","content":[{"type":"text","text":"Describe"},
                {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},
                {"type":"image_url","image_url":{"url":"https://example.com/dog.webp"}}]},
              {"role":"assistant","content":"A dog."},
              {"role":"user","content":"More?"}],
             "max_tokens":100,"temperature":1.4,"top_p":0.8,"stop":"END","seed":7,"response_format":{"type":"json_object"}}
            """);

        Assert.Equal(ProviderOutcome.Success, response.Outcome);
        var sent = h.RequestsTo(":generateContent").Single();
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", sent.Path);
        Assert.Equal("fake-key", sent.Headers["x-goog-api-key"]);
        Assert.DoesNotContain("key=", sent.Path);
        var body = sent.Json;
        Assert.False(body.TryGetProperty("model", out _));
        Assert.Equal("Be brief.", body.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
        var contents = body.GetProperty("contents");
        Assert.Equal(["user", "model", "user"], contents.EnumerateArray().Select(c => c.GetProperty("role").GetString()));
        var parts = contents[0].GetProperty("parts");
        Assert.Equal("Describe", parts[0].GetProperty("text").GetString());
        Assert.Equal("image/jpeg", parts[1].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Equal("/9j/4AAQ", parts[1].GetProperty("inlineData").GetProperty("data").GetString());
        Assert.Equal("image/webp", parts[2].GetProperty("fileData").GetProperty("mimeType").GetString());
        Assert.Equal("https://example.com/dog.webp", parts[2].GetProperty("fileData").GetProperty("fileUri").GetString());
        var config = body.GetProperty("generationConfig");
        Assert.Equal(100, config.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal(1.4, config.GetProperty("temperature").GetDouble());
        Assert.Equal(0.8, config.GetProperty("topP").GetDouble());
        Assert.Equal(7, config.GetProperty("seed").GetInt32());
        Assert.Equal(["END"], config.GetProperty("stopSequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("application/json", config.GetProperty("responseMimeType").GetString());

        var chat = ProviderHarness.Json(response);
        Assert.Equal("chat.completion", chat.GetProperty("object").GetString());
        Assert.Equal("resp-fake", chat.GetProperty("id").GetString());
        var choice = chat.GetProperty("choices")[0];
        Assert.Equal("Bonjour monde", choice.GetProperty("message").GetProperty("content").GetString()); // the thought part is left out
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Max_tokens_finish_reason_becomes_length()
    {
        await using var h = await ProviderHarness.StartAsync(new FakeProviderOptions { DefaultCompletionTokens = 1000 });
        var response = await h.SendAsync(Model, """{"max_completion_tokens":40,"messages":[{"role":"user","content":"write a lot"}]}""");
        Assert.Equal("length", ProviderHarness.Json(response).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(40, response.Usage!.OutputTokens);
    }

    [Theory]
    [InlineData(":generateContent")]
    [InlineData("/v1beta/models/gemini-2.5-pro:generateContent")]
    public async Task A_native_generate_content_item_passes_through_and_the_url_may_name_the_model(string url)
    {
        await using var h = await ProviderHarness.StartAsync();
        const string native = """{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}""";
        var model = url.StartsWith(':') ? Model : "unused-by-a-long-url";
        var response = await h.SendAsync(model, native, url);
        Assert.Equal(ProviderOutcome.Success, response.Outcome);
        var sent = h.RequestsTo(":generateContent").Single();
        Assert.Equal(url.StartsWith(':') ? "/v1beta/models/gemini-2.5-flash:generateContent" : "/v1beta/models/gemini-2.5-pro:generateContent", sent.Path);
        Assert.Equal("BLOCK_NONE", sent.Json.GetProperty("safetySettings")[0].GetProperty("threshold").GetString());
        Assert.True(ProviderHarness.Json(response).TryGetProperty("candidates", out _));
    }

    [Fact]
    public async Task Usage_counts_thoughts_as_output_and_cached_tokens_inside_the_prompt()
    {
        await using var h = await ProviderHarness.StartAsync(
            new FakeProviderOptions { CachedPromptTokens = 400, ReasoningTokens = 50, DefaultCompletionTokens = 150 });
        var response = await h.SendAsync(Model, $$"""{"messages":[{"role":"user","content":"{{AnthropicProviderTests.PromptOf1000}}"}]}""");
        // promptTokenCount 1000 includes cachedContentTokenCount 400; candidates 150 + thoughts 50 are billed as output.
        Assert.Equal(new TokenUsage(1000, 200, CachedInputTokens: 400, ReasoningTokens: 50), response.Usage);
        var usage = ProviderHarness.Json(response).GetProperty("usage");
        Assert.Equal(200, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(50, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64());
    }

    [Theory]
    [InlineData("[[fake:429:17000]]", ProviderOutcome.RateLimited, "resource_exhausted", 429)]
    [InlineData("[[fake:quota]]", ProviderOutcome.QuotaExhausted, "insufficient_quota", 429)]
    [InlineData("[[fake:503]]", ProviderOutcome.Transient, "unavailable", 503)]
    [InlineData("[[fake:400]]", ProviderOutcome.Permanent, "invalid_argument", 400)]
    public async Task Each_error_is_classified(string marker, ProviderOutcome outcome, string code, int status)
    {
        await using var h = await ProviderHarness.StartAsync();
        var response = await h.SendAsync(Model, $$"""{"messages":[{"role":"user","content":"{{marker}}"}]}""");
        Assert.Equal(outcome, response.Outcome);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, response.Error!.Code);
        if (outcome == ProviderOutcome.RateLimited) Assert.Equal(TimeSpan.FromSeconds(17), response.RetryAfter);
        if (outcome == ProviderOutcome.QuotaExhausted) Assert.Contains("GenerateRequestsPerDayPerProjectPerModel-FreeTier", response.Error.Message);
    }

    [Fact]
    public async Task A_wrong_key_is_a_permanent_error()
    {
        await using var h = await ProviderHarness.StartAsync();
        var registry = h.Get<ProviderRegistry>();
        var options = registry.Providers["gemini"];
        var client = new BatchAspire.Core.Providers.Gemini.GeminiProvider("gemini", new ProviderOptions { Type = "gemini", BaseUrl = options.BaseUrl, ApiKey = "wrong" },
            h.Get<IHttpClientFactory>());
        var body = System.Text.Json.JsonDocument.Parse("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}""").RootElement;
        var response = await client.SendAsync(new ProviderRequest("job_0", "c", new ModelRoute("gemini", Model), "/v1/chat/completions", body), CancellationToken.None);
        Assert.Equal(ProviderOutcome.Permanent, response.Outcome);
        Assert.Equal("invalid_argument", response.Error!.Code);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[]}""", "items[0].body.tools")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{}}}""", "items[0].body.response_format")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/photo"}}]}]}""", "items[0].body.messages[0].content[0].image_url.url")]
    [InlineData("""{"messages":[{"role":"assistant","content":"hi","tool_calls":[]}]}""", "items[0].body.messages[0].tool_calls")]
    [InlineData("""{"messages":[{"role":"system","content":"only a system prompt"}]}""", "items[0].body.messages")]
    public async Task What_cannot_be_translated_is_refused_at_submit_naming_the_field(string body, string param)
    {
        await using var h = await ProviderHarness.StartAsync();
        var (item, error) = h.Validate(Model, body);
        Assert.Null(item);
        Assert.Equal(param, error!.Param);
        Assert.Contains("Gemini", error.Message);
    }
}
