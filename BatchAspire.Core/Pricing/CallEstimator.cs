using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Providers.Translation;

namespace BatchAspire.Core.Pricing;

/// <summary>What one call may cost at most: estimated prompt tokens, the most it may write, and the price.</summary>
public sealed record CallEstimate(long InputTokens, long MaxOutputTokens, ModelPrice? Price)
{
    /// <summary>The worst case in USD (prompt as estimated, output at its limit), or null when the model has no price.</summary>
    public decimal? WorstCaseUsd(bool batch = false) => Price?.Cost(new TokenUsage(InputTokens, MaxOutputTokens), batch);

    public long? WorstCasePico(bool batch = false) => WorstCaseUsd(batch) is { } usd ? Money.FromUsd(usd) : null;
}

/// <summary>
/// Estimates a call before it is sent (DESIGN.md §6, §12): for <c>POST /api/jobs/estimate</c> and for the
/// budget reservation a Worker makes before each call. The output limit is the request's own
/// (<c>max_completion_tokens</c>/<c>max_tokens</c>, Responses <c>max_output_tokens</c>, Gemini
/// <c>generationConfig.maxOutputTokens</c>); a translated chat request to Anthropic without one sends the
/// provider's DefaultMaxTokens; otherwise it is the model's <c>max_output_tokens</c> from the pricing table,
/// or <see cref="UnknownMaxOutputTokens"/>. Embeddings write nothing.
/// </summary>
public sealed class CallEstimator(PricingTable prices, TokenEstimator tokens, ProviderRegistry providers)
{
    public const int UnknownMaxOutputTokens = 16_384;

    public CallEstimate Estimate(StoredItem item)
    {
        var type = providers.Providers.TryGetValue(item.Provider, out var options) ? options.Type?.ToLowerInvariant() ?? "" : "";
        var price = prices.Find(item.Model);
        var input = tokens.EstimateInput(type, item.Url, item.Body);
        return new CallEstimate(input, MaxOutput(type, options, item, price), price);
    }

    private static long MaxOutput(string type, ProviderOptions? options, StoredItem item, ModelPrice? price)
    {
        var body = item.Body;
        if (item.Url.EndsWith("/embeddings", StringComparison.Ordinal)) return 0;
        if (item.Url.EndsWith("/images/generations", StringComparison.Ordinal)) return 0;
        int? declared = item.Url switch
        {
            ProviderEndpoints.GeminiGenerateContent => body.TryGetProperty("generationConfig", out var config) && config.ValueKind == JsonValueKind.Object
                && config.TryGetProperty("maxOutputTokens", out var m) && m.TryGetInt32(out var n) ? n : null,
            "/v1/responses" => body.TryGetProperty("max_output_tokens", out var r) && r.TryGetInt32(out var rn) ? rn : null,
            "/v1/completions" => body.TryGetProperty("max_tokens", out var c) && c.TryGetInt32(out var cn) ? cn : 16,
            _ => ChatTranslation.MaxTokens(body),
        };
        if (declared is { } limit) return limit;
        if (type == ProviderTypes.Anthropic && item.Url == ProviderEndpoints.ChatCompletions) return options?.DefaultMaxTokens ?? 4096;
        return price?.MaxOutputTokens ?? UnknownMaxOutputTokens;
    }
}
