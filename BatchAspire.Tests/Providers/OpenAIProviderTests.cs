using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.FakeProvider;

namespace BatchAspire.Tests.Providers;

/// <summary>The OpenAI-compatible provider (and its Azure form) over real HTTP against the fake.</summary>
public sealed class OpenAIProviderTests
{
    [Fact]
    public async Task Usage_keeps_cached_tokens_inside_prompt_tokens_and_reasoning_inside_completion_tokens()
    {
        await using var h = await ProviderHarness.StartAsync(
            new FakeProviderOptions { CachedPromptTokens = 400, ReasoningTokens = 50, DefaultCompletionTokens = 150 });
        var response = await h.SendAsync("gpt-4o", $$"""{"messages":[{"role":"user","content":"{{AnthropicProviderTests.PromptOf1000}}"}]}""");
        Assert.Equal(ProviderOutcome.Success, response.Outcome);
        Assert.Equal(new TokenUsage(1000, 200, CachedInputTokens: 400, ReasoningTokens: 50), response.Usage);
        Assert.Equal("Bearer fake-key", h.RequestsTo("/v1/chat/completions").Single().Headers["authorization"]);
    }

    [Fact]
    public async Task Rate_limit_headers_are_parsed_into_the_snapshot()
    {
        await using var h = await ProviderHarness.StartLocalAsync();
        var limits = (await h.SendAsync("gpt-4o", """{"messages":[{"role":"user","content":"hi"}]}""")).Limits!;
        Assert.Equal(500, limits.LimitRequests);
        Assert.Equal(499, limits.RemainingRequests);
        Assert.Equal(TimeSpan.FromMilliseconds(120), limits.ResetRequests);
        Assert.Equal(30000, limits.LimitTokens);
        Assert.Equal(29000, limits.RemainingTokens);
        Assert.Equal(TimeSpan.FromSeconds(62.5), limits.ResetTokens);
    }

    [Theory]
    [InlineData("[[fake:429:1500]]", ProviderOutcome.RateLimited, "rate_limit_exceeded")]
    [InlineData("[[fake:quota]]", ProviderOutcome.QuotaExhausted, "insufficient_quota")]
    [InlineData("[[fake:500]]", ProviderOutcome.Transient, "server_error")]
    [InlineData("[[fake:400]]", ProviderOutcome.Permanent, "invalid_request_error")]
    public async Task Each_error_is_classified(string marker, ProviderOutcome outcome, string code)
    {
        await using var h = await ProviderHarness.StartAsync();
        var response = await h.SendAsync("gpt-4o", $$"""{"messages":[{"role":"user","content":"{{marker}}"}]}""");
        Assert.Equal(outcome, response.Outcome);
        Assert.Equal(code, response.Error!.Code);
        if (outcome == ProviderOutcome.RateLimited) Assert.Equal(TimeSpan.FromMilliseconds(1500), response.RetryAfter);
    }

    [Fact]
    public async Task Azure_calls_the_deployment_url_with_the_api_key_header_and_api_version()
    {
        await using var h = await ProviderHarness.StartLocalAsync();
        var mapped = await h.SendAsync("azure-gpt-4o", """{"messages":[{"role":"user","content":"hi"}]}""");
        var unmapped = await h.SendAsync("azure-gpt-4o-mini", """{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(ProviderOutcome.Success, mapped.Outcome);
        Assert.Equal(ProviderOutcome.Success, unmapped.Outcome);
        var sent = h.RequestsTo("/openai/deployments/").ToList();
        Assert.Equal("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21", sent[0].Path);
        Assert.Equal("/openai/deployments/azure-gpt-4o-mini/chat/completions?api-version=2024-10-21", sent[1].Path);
        Assert.Equal("fake-key", sent[0].Headers["api-key"]);
        Assert.False(sent[0].Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task Image_generations_and_embeddings_are_accepted_and_their_usage_read()
    {
        await using var h = await ProviderHarness.StartLocalAsync();
        var image = await h.SendAsync("gpt-image-1", """{"prompt":"a lighthouse","size":"1024x1024"}""", "/v1/images/generations");
        Assert.Equal(ProviderOutcome.Success, image.Outcome);
        Assert.Equal(new TokenUsage(12, 4160), image.Usage);
        var embedding = await h.SendAsync("text-embedding-3-small", """{"input":"hello"}""", "/v1/embeddings");
        Assert.Equal(new TokenUsage(8, 0), embedding.Usage);
    }

    [Fact]
    public async Task Anthropic_and_gemini_urls_are_refused_for_an_openai_model()
    {
        await using var h = await ProviderHarness.StartAsync();
        var messages = h.Validate("gpt-4o", """{"max_tokens":5,"messages":[]}""", "/v1/messages").Error!;
        Assert.Equal("items[0].url", messages.Param);
        Assert.Contains("provider 'openai'", messages.Message);
        Assert.Equal("invalid_url", h.Validate("gpt-4o", """{}""", "/v2/unknown").Error!.Code);
    }
}
