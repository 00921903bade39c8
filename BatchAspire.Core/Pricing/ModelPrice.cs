using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Pricing;

/// <summary>
/// One model's prices in USD per token, named as LiteLLM names them. Absent prices fall back: cache reads and
/// writes to the input price, batch prices to the standard ones, above-200k prices to the base ones.
/// </summary>
public sealed record ModelPrice
{
    public const long LongContextThreshold = 200_000;

    public decimal InputCostPerToken { get; init; }
    public decimal OutputCostPerToken { get; init; }
    public decimal? CacheReadInputTokenCost { get; init; }
    public decimal? CacheCreationInputTokenCost { get; init; }
    public decimal? InputCostPerTokenBatches { get; init; }
    public decimal? OutputCostPerTokenBatches { get; init; }
    public decimal? InputCostPerTokenAbove200kTokens { get; init; }
    public decimal? OutputCostPerTokenAbove200kTokens { get; init; }
    public decimal? CacheReadInputTokenCostAbove200kTokens { get; init; }
    public decimal? CacheCreationInputTokenCostAbove200kTokens { get; init; }
    /// <summary>The most a call may write; the worst case of a call that sets no output limit.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>
    /// The exact cost of a call: uncached input (input − cached − cache-written) at the input price, cached
    /// tokens at the cache-read price, cache-written tokens at the cache-creation price, output (reasoning
    /// included) at the output price. A prompt above 200k tokens is priced at the long-context prices where the
    /// model has them. <paramref name="batch"/> prices at the provider's batch API prices; its cache prices are
    /// the standard ones scaled by the batch discount on input.
    /// </summary>
    public decimal Cost(TokenUsage usage, bool batch = false)
    {
        var longContext = usage.InputTokens > LongContextThreshold;
        var input = longContext ? InputCostPerTokenAbove200kTokens ?? InputCostPerToken : InputCostPerToken;
        var output = longContext ? OutputCostPerTokenAbove200kTokens ?? OutputCostPerToken : OutputCostPerToken;
        var read = (longContext ? CacheReadInputTokenCostAbove200kTokens : null) ?? CacheReadInputTokenCost ?? input;
        var write = (longContext ? CacheCreationInputTokenCostAbove200kTokens : null) ?? CacheCreationInputTokenCost ?? input;
        if (batch)
        {
            var discount = InputCostPerToken == 0 || InputCostPerTokenBatches is null ? 1m : InputCostPerTokenBatches.Value / InputCostPerToken;
            output = OutputCostPerTokenBatches is { } batchOutput && OutputCostPerToken != 0 ? output * (batchOutput / OutputCostPerToken) : output;
            input *= discount;
            read *= discount;
            write *= discount;
        }
        var uncached = Math.Max(0, usage.InputTokens - usage.CachedInputTokens - usage.CacheWriteTokens);
        return uncached * input + usage.CachedInputTokens * read + usage.CacheWriteTokens * write + usage.OutputTokens * output;
    }

    /// <summary>The cost in integer picodollars, as the store sums it.</summary>
    public long CostPico(TokenUsage usage, bool batch = false) => Money.FromUsd(Cost(usage, batch));
}
