using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
using Microsoft.Extensions.Configuration;

namespace BatchAspire.Tests.Pricing;

/// <summary>Cost arithmetic against hand-computed cases (prices per token from Pricing/pricing.json).</summary>
public sealed class CostTests
{
    private static PricingTable Table(Dictionary<string, string?>? settings = null) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());

    [Fact]
    public void OpenAI_cached_tokens_are_priced_at_the_cache_read_price_inside_the_prompt()
    {
        // gpt-4o: input 2.50/M, cached 1.25/M, output 10/M. 1000 prompt tokens of which 400 cached, 200 output (50 reasoning).
        // 600 × 0.0000025 = 0.0015; 400 × 0.00000125 = 0.0005; 200 × 0.00001 = 0.002 → 0.004 USD.
        var cost = Table().Find("gpt-4o")!.Cost(new TokenUsage(1000, 200, CachedInputTokens: 400, ReasoningTokens: 50));
        Assert.Equal(0.004m, cost);
        Assert.Equal(4_000_000_000L, Money.FromUsd(cost));
    }

    [Fact]
    public void Anthropic_cache_reads_and_writes_are_priced_apart_from_plain_input()
    {
        // claude-sonnet-4-5: input 3/M, cache read 0.30/M, cache write 3.75/M, output 15/M.
        // Normalised: 1000 input = 600 plain + 300 read + 100 written; 200 output.
        // 600 × 0.000003 = 0.0018; 300 × 0.0000003 = 0.00009; 100 × 0.00000375 = 0.000375; 200 × 0.000015 = 0.003 → 0.005265.
        var cost = Table().Find("claude-sonnet-4-5")!.Cost(new TokenUsage(1000, 200, CachedInputTokens: 300, CacheWriteTokens: 100));
        Assert.Equal(0.005265m, cost);
    }

    [Fact]
    public void Gemini_thoughts_are_billed_as_output_and_cached_content_at_the_cache_price()
    {
        // gemini-2.5-flash: input 0.30/M, cached 0.03/M, output 2.50/M. 1000 prompt (400 cached), 150 + 50 thought output.
        // 600 × 0.0000003 = 0.00018; 400 × 0.00000003 = 0.000012; 200 × 0.0000025 = 0.0005 → 0.000692.
        var cost = Table().Find("gemini-2.5-flash")!.Cost(new TokenUsage(1000, 200, CachedInputTokens: 400, ReasoningTokens: 50));
        Assert.Equal(0.000692m, cost);
    }

    [Fact]
    public void A_prompt_above_200k_tokens_takes_the_long_context_prices()
    {
        // gemini-2.5-pro above 200k: input 2.50/M, cached 0.25/M, output 15/M. 300,000 prompt (100,000 cached), 1,000 output.
        // 200,000 × 0.0000025 = 0.5; 100,000 × 0.00000025 = 0.025; 1,000 × 0.000015 = 0.015 → 0.54.
        Assert.Equal(0.54m, Table().Find("gemini-2.5-pro")!.Cost(new TokenUsage(300_000, 1_000, CachedInputTokens: 100_000)));
        // At 200,000 exactly the base prices hold: 200,000 × 0.00000125 + 1,000 × 0.00001 = 0.26.
        Assert.Equal(0.26m, Table().Find("gemini-2.5-pro")!.Cost(new TokenUsage(200_000, 1_000)));
    }

    [Fact]
    public void Batch_prices_are_the_batch_fields()
    {
        // gpt-4o-mini batch: input 0.075/M, output 0.30/M. 1000 in, 1000 out → 0.000075 + 0.0003 = 0.000375.
        Assert.Equal(0.000375m, Table().Find("gpt-4o-mini")!.Cost(new TokenUsage(1000, 1000), batch: true));
        // claude-haiku-4-5 batch: 0.50/M in, 2.50/M out; its cache read 0.10/M scaled by the same half → 0.05/M.
        // 500 plain × 0.0000005 = 0.00025; 500 cached × 0.00000005 = 0.000025; 100 out × 0.0000025 = 0.00025 → 0.000525.
        Assert.Equal(0.000525m, Table().Find("claude-haiku-4-5")!.Cost(new TokenUsage(1000, 100, CachedInputTokens: 500), batch: true));
    }

    [Fact]
    public void Configuration_overrides_a_shipped_price_field_by_field_and_adds_models()
    {
        var table = Table(new()
        {
            ["BatchAspire:Pricing:gpt-4o:input_cost_per_token"] = "0.000003",
            ["BatchAspire:Pricing:my-llama:input_cost_per_token"] = "0.0000001",
            ["BatchAspire:Pricing:my-llama:output_cost_per_token"] = "0.0000002",
        });
        // 1000 × 0.000003 + 100 × 0.00001 (output unchanged) = 0.004.
        Assert.Equal(0.004m, table.Find("gpt-4o")!.Cost(new TokenUsage(1000, 100)));
        Assert.Equal(0.00012m, table.Find("my-llama")!.Cost(new TokenUsage(1000, 100)));
        Assert.Throws<InvalidOperationException>(() => Table(new() { ["BatchAspire:Pricing:gpt-4o:input_cost_per_token"] = "cheap" }));
    }

    [Fact]
    public void A_dated_model_name_takes_the_price_of_the_longest_listed_name_it_extends()
    {
        var table = Table();
        Assert.Same(table.Find("gpt-4o-mini"), table.Find("gpt-4o-mini-2024-07-18"));
        Assert.Same(table.Find("gpt-4o"), table.Find("gpt-4o-2024-08-06"));
        Assert.Same(table.Find("claude-sonnet-4-5"), table.Find("claude-sonnet-4-5-20250929"));
        Assert.Null(table.Find("gpt-4"));
        Assert.Null(table.Find("sim-1"));
    }

    [Fact]
    public void Sums_of_many_tiny_costs_are_exact_in_picodollars()
    {
        // text-embedding-3-small: 0.02/M = 20,000 picodollars per token; a million 7-token calls cost 7,000,000 × 20,000 pico = exactly 0.14 USD.
        var price = Table().Find("text-embedding-3-small")!;
        long total = 0;
        for (var i = 0; i < 1_000_000; i++) total += price.CostPico(new TokenUsage(7, 0));
        Assert.Equal(140_000_000_000L, total);
        Assert.Equal(0.14m, Money.ToUsd(total));
    }
}
