using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.RateLimiting;

namespace BatchAspire.Tests.RateLimiting;

public sealed class LimitParsingTests
{
    [Theory]
    [InlineData("1s", 1000)]
    [InlineData("6m0s", 360_000)]
    [InlineData("120ms", 120)]
    [InlineData("1h2m3.5s", 3_723_500)]
    [InlineData("0.5", 500)]
    public void OpenAI_reset_durations_are_read_in_Go_syntax(string text, double ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), RateLimitSnapshot.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5 parsecs")]
    public void Anything_else_is_not_a_duration(string text) => Assert.Null(RateLimitSnapshot.ParseDuration(text));

    [Theory]
    [InlineData("gpt-4o-mini", TokenEstimator.O200k)]
    [InlineData("gpt-4.1-nano", TokenEstimator.O200k)]
    [InlineData("o3-mini", TokenEstimator.O200k)]
    [InlineData("some-local-model", TokenEstimator.O200k)]
    [InlineData("gpt-4-turbo", TokenEstimator.Cl100k)]
    [InlineData("gpt-3.5-turbo", TokenEstimator.Cl100k)]
    [InlineData("text-embedding-3-small", TokenEstimator.Cl100k)]
    public void Each_model_is_counted_with_its_own_encoding(string model, string encoding) =>
        Assert.Equal(encoding, TokenEstimator.EncodingFor(model));

    [Fact]
    public void A_prompt_estimate_counts_every_message_by_the_chat_rule_with_the_real_tokenizer_and_takes_max_tokens()
    {
        var estimator = new TokenEstimator();
        var body = JsonDocument.Parse("""
            {"model":"gpt-4o-mini","max_completion_tokens":50,"messages":[
              {"role":"system","content":"You are terse."},
              {"role":"user","content":[{"type":"text","text":"Hello world"},{"type":"text","text":"again"}]}]}
            """).RootElement;
        var tokenizer = estimator.TokenizerFor("gpt-4o-mini");

        var estimate = estimator.Estimate(new StoredItem("a", "openai", "gpt-4o-mini", "/v1/chat/completions", body));

        // 3 to prime the reply, 3 per message, then the text of every content part.
        Assert.Equal(3 + 3 + tokenizer.CountTokens("You are terse.") + 3 + tokenizer.CountTokens("Hello world") + tokenizer.CountTokens("again"), estimate.PromptTokens);
        Assert.Equal(2, tokenizer.CountTokens("Hello world")); // o200k_base: "Hello", " world"
        Assert.Equal(50, estimate.MaxOutputTokens);
    }

    [Fact]
    public void Without_max_tokens_the_output_is_left_to_the_learned_average()
    {
        var body = JsonDocument.Parse("""{"messages":[{"role":"user","content":"hi"}]}""").RootElement;
        Assert.Equal(-1, TokenEstimator.MaxOutput(body));
    }

    [Fact]
    public void A_job_may_ask_for_less_than_the_scope_never_more()
    {
        var scope = new ScopeLimits(600, 100_000, 0);
        var metadata = new Dictionary<string, string>
        {
            [RateLimitScopes.JobRpmKey] = "1200",          // more than the scope: ignored
            [RateLimitScopes.JobTpmKey] = "5000",          // less: applies
            [RateLimitScopes.JobConcurrencyKey] = "3",     // the scope sets none: applies
        };

        var job = RateLimitScopes.JobLimits(metadata, scope);

        Assert.Equal(new ScopeLimits(0, 5000, 3), job);
        Assert.Null(RateLimitScopes.JobLimits(new Dictionary<string, string> { [RateLimitScopes.JobRpmKey] = "900" }, scope));
    }

    [Fact]
    public void Model_limits_override_the_providers_key_by_key()
    {
        var provider = new ProviderOptions { Limits = new ProviderLimits { RequestsPerMinute = 500, TokensPerMinute = 200_000, MaxConcurrency = 50 } };
        provider.ModelLimits["gpt-4o"] = new ProviderLimits { RequestsPerMinute = 100 };

        Assert.Equal(new ScopeLimits(100, 200_000, 50), RateLimitScopes.ScopeLimitsOf(provider, "gpt-4o"));
        Assert.Equal(new ScopeLimits(500, 200_000, 50), RateLimitScopes.ScopeLimitsOf(provider, "gpt-4o-mini"));
    }
}
