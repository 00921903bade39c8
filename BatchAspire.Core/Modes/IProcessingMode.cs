using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Modes;

/// <summary>
/// A processing mode (DESIGN.md §8): decides, when a job is submitted, how its items reach the provider.
/// Adding a mode is a folder under Modes/ and one line in <see cref="ProcessingModes.Registered"/>.
/// </summary>
public interface IProcessingMode
{
    /// <summary>The name clients ask for (<c>mode</c> on <c>POST /api/jobs</c>, <c>metadata.batchaspire_mode</c>).</summary>
    string Name { get; }

    /// <summary>How this job runs, and why; or why this mode cannot run it.</summary>
    ModeDecision Decide(ModeContext job);
}

/// <summary>What a mode sees of a job at submission.</summary>
/// <param name="Items">The validated items (empty for a file-based job whose items are streamed: then only <see cref="Total"/> is known).</param>
/// <param name="Deadline">The completion window, when the job has one.</param>
public sealed record ModeContext(IReadOnlyList<StoredItem> Items, long Total, TimeSpan? Deadline, ModePlanner Planner);

/// <summary>
/// A mode's decision. <see cref="Dispatch"/> names the path that runs the job: <see cref="Dispatches.Fast"/>
/// (the Worker's queue and leases), <see cref="Dispatches.Economy"/> (the provider's batch API) or
/// <see cref="Dispatches.Waves"/> (the batch API under the provider's enqueued-token limit).
/// </summary>
public sealed record ModeDecision(string Dispatch, string Reason, long? EstimatedCostPico = null, BatchError? Refusal = null)
{
    public static ModeDecision Refuse(string message, string code) => new(Dispatches.Fast, message, null, BatchError.Invalid(message, "mode", code));
}

public static class Dispatches
{
    public const string Fast = "fast";
    public const string Economy = "economy";
    public const string Waves = "waves";

    /// <summary>Runs through the provider's native batch API (the Worker's EconomyPoller), not the fast queue.</summary>
    public static bool UsesProviderBatches(string? dispatch) => dispatch is Economy or Waves;
}
