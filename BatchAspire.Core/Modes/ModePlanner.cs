using BatchAspire.Core.Jobs;
using BatchAspire.Core.Modes.Economy;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Providers;
using Microsoft.Extensions.Options;

namespace BatchAspire.Core.Modes;

/// <summary>Runs a job's mode at submission, and gives modes what they need to decide: providers, prices, estimates.</summary>
public sealed class ModePlanner(ProviderRegistry providers, CallEstimator estimator, IOptions<ModeOptions> options)
{
    public ModeOptions Options => options.Value;
    public ProviderRegistry Providers => providers;

    public ModeDecision Plan(string mode, IReadOnlyList<StoredItem> items, long total, TimeSpan? deadline)
    {
        var found = ProcessingModes.Find(mode)
            ?? throw new InvalidOperationException($"Mode '{mode}' is not registered; validate it against ProcessingModes.Names first.");
        return found.Decide(new ModeContext(items, total, deadline, this));
    }

    /// <summary>The one provider every item goes to, or null when the items span several (a provider batch goes to one).</summary>
    public string? SingleProvider(IReadOnlyList<StoredItem> items)
    {
        if (items.Count == 0) return null;
        var first = items[0].Provider;
        return items.All(i => string.Equals(i.Provider, first, StringComparison.OrdinalIgnoreCase)) ? first : null;
    }

    /// <summary>Whether this build can run the provider's native batch API, and if not, why.</summary>
    public (bool Supported, string Why) BatchSupport(string provider)
    {
        var type = providers.TypeOf(provider);
        return ProviderBatchClients.Supports(type)
            ? (true, $"provider '{provider}' (type {type}) has a batch API")
            : (false, $"provider '{provider}' (type {type}) has no batch API in this build");
    }

    /// <summary>The job's worst-case cost in picodollars (prompts as estimated, outputs at their limits), or null when a model has no price.</summary>
    public long? EstimatePico(IReadOnlyList<StoredItem> items, bool batch)
    {
        long sum = 0;
        foreach (var item in items)
        {
            if (estimator.Estimate(item).WorstCasePico(batch) is not { } pico) return null;
            sum += pico;
        }
        return sum;
    }

    public long EstimateInputTokens(StoredItem item) => estimator.Estimate(item).InputTokens;
}
