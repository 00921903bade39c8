namespace BatchAspire.Core.Modes.Economy;

/// <summary>The provider's native batch API at its batch prices: one provider, split into provider batches, polled durably.</summary>
public sealed class EconomyMode : IProcessingMode
{
    public string Name => "economy";

    public ModeDecision Decide(ModeContext job) => Check(job, Dispatches.Economy) ?? new(Dispatches.Economy,
        "economy requested: provider batch API at batch prices", job.Planner.EstimatePico(job.Items, batch: true));

    /// <summary>Why a job cannot run on a provider batch API, or null when it can.</summary>
    public static ModeDecision? Check(ModeContext job, string mode)
    {
        if (job.Items.Count == 0) return null; // a file-based job: its provider was checked line by line
        if (job.Planner.SingleProvider(job.Items) is not { } provider)
        {
            return ModeDecision.Refuse($"Mode {mode} sends a job to one provider's batch API, but this job's items go to several providers; split the job or use fast.", "mode_not_supported");
        }
        var (supported, why) = job.Planner.BatchSupport(provider);
        return supported ? null : ModeDecision.Refuse($"Mode {mode} needs a provider batch API, but {why}; use fast or auto.", "mode_not_supported");
    }
}
