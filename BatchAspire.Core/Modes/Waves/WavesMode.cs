using BatchAspire.Core.Modes.Economy;

namespace BatchAspire.Core.Modes.Waves;

/// <summary>
/// Economy for jobs larger than the provider's enqueued-token limit (<c>Limits:EnqueuedTokens</c>): provider batches
/// are submitted in waves whose estimated tokens in flight stay under the limit, the next as earlier ones finish.
/// </summary>
public sealed class WavesMode : IProcessingMode
{
    public string Name => "waves";

    public ModeDecision Decide(ModeContext job)
    {
        if (EconomyMode.Check(job, Name) is { } refused) return refused;
        var estimate = job.Planner.EstimatePico(job.Items, batch: true);
        var limit = job.Items.Count == 0 ? 0 : job.Planner.Providers.Providers[job.Items[0].Provider].Limits.EnqueuedTokens;
        var reason = limit > 0
            ? $"waves requested: provider batches kept under {limit} enqueued tokens"
            : "waves requested: the provider has no enqueued-token limit configured (Limits:EnqueuedTokens), so waves run as economy";
        return new(Dispatches.Waves, reason, estimate);
    }
}
