using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace BatchAspire.Core.Pricing;

/// <summary>
/// The prices of every known model: the shipped table (Pricing/pricing.json, embedded), overridden or extended
/// field by field by configuration <c>BatchAspire:Pricing:{model}:{field}</c> (LiteLLM field names, USD per
/// token, e.g. <c>BatchAspire:Pricing:gpt-4o:input_cost_per_token=0.0000025</c>). A dated model name
/// (<c>gpt-4o-2024-08-06</c>, <c>claude-sonnet-4-5-20250929</c>) takes the price of the longest listed name it
/// extends with a dash.
/// </summary>
public sealed class PricingTable
{
    public const string Section = "BatchAspire:Pricing";

    private readonly Dictionary<string, ModelPrice> _prices;

    public PricingTable(IConfiguration configuration)
    {
        var fields = LoadShipped();
        foreach (var model in configuration.GetSection(Section).GetChildren())
        {
            if (!fields.TryGetValue(model.Key, out var entry)) fields[model.Key] = entry = new(StringComparer.Ordinal);
            foreach (var field in model.GetChildren())
            {
                if (field.Value is null) continue;
                if (!decimal.TryParse(field.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
                {
                    throw new InvalidOperationException($"{Section}:{model.Key}:{field.Key} must be a non-negative number of USD per token (was '{field.Value}').");
                }
                entry[field.Key] = value;
            }
        }
        _prices = fields.ToDictionary(p => p.Key, p => ToPrice(p.Value), StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyDictionary<string, ModelPrice> Models => _prices;

    /// <summary>The price of a model, or null when the table does not know it.</summary>
    public ModelPrice? Find(string model)
    {
        if (_prices.TryGetValue(model, out var exact)) return exact;
        ModelPrice? best = null;
        var bestLength = 0;
        foreach (var (name, price) in _prices)
        {
            if (name.Length > bestLength && model.Length > name.Length && model[name.Length] == '-'
                && model.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                best = price;
                bestLength = name.Length;
            }
        }
        return best;
    }

    private static Dictionary<string, Dictionary<string, decimal>> LoadShipped()
    {
        using var stream = typeof(PricingTable).Assembly.GetManifestResourceStream("BatchAspire.Pricing.pricing.json")
            ?? throw new InvalidOperationException("Embedded Pricing/pricing.json is missing from BatchAspire.Core.");
        using var doc = JsonDocument.Parse(stream);
        var table = new Dictionary<string, Dictionary<string, decimal>>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in doc.RootElement.EnumerateObject())
        {
            if (model.Value.ValueKind != JsonValueKind.Object) continue;
            var entry = new Dictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var field in model.Value.EnumerateObject())
            {
                if (field.Value.ValueKind == JsonValueKind.Number) entry[field.Name] = ParseExact(field.Value);
            }
            table[model.Name] = entry;
        }
        return table;
    }

    /// <summary>The JSON number's text as a decimal: <c>2.5e-06</c> is exactly 0.0000025, never a float.</summary>
    private static decimal ParseExact(JsonElement number) =>
        decimal.Parse(number.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static ModelPrice ToPrice(Dictionary<string, decimal> f)
    {
        decimal? Get(string name) => f.TryGetValue(name, out var v) ? v : null;
        return new ModelPrice
        {
            InputCostPerToken = Get("input_cost_per_token") ?? 0,
            OutputCostPerToken = Get("output_cost_per_token") ?? 0,
            CacheReadInputTokenCost = Get("cache_read_input_token_cost"),
            CacheCreationInputTokenCost = Get("cache_creation_input_token_cost"),
            InputCostPerTokenBatches = Get("input_cost_per_token_batches"),
            OutputCostPerTokenBatches = Get("output_cost_per_token_batches"),
            InputCostPerTokenAbove200kTokens = Get("input_cost_per_token_above_200k_tokens"),
            OutputCostPerTokenAbove200kTokens = Get("output_cost_per_token_above_200k_tokens"),
            CacheReadInputTokenCostAbove200kTokens = Get("cache_read_input_token_cost_above_200k_tokens"),
            CacheCreationInputTokenCostAbove200kTokens = Get("cache_creation_input_token_cost_above_200k_tokens"),
            MaxOutputTokens = Get("max_output_tokens") is { } max ? (int)max : null,
        };
    }
}
