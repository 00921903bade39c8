namespace BatchAspire.Core.Modes.Fast;

/// <summary>Realtime calls through the Worker's queue, leases and limiter (DESIGN.md §5, §6).</summary>
public sealed class FastMode : IProcessingMode
{
    public string Name => "fast";

    public ModeDecision Decide(ModeContext job) =>
        new(Dispatches.Fast, "fast requested: realtime calls", job.Planner.EstimatePico(job.Items, batch: false));
}
