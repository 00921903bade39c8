namespace BatchAspire.Core.Jobs;

/// <summary>A validated job, ready to be stored.</summary>
public sealed record NewJob(
    string Id,
    string Tenant,
    string Mode,
    string? Model,
    IReadOnlyList<StoredItem> Items,
    IReadOnlyDictionary<string, string>? Metadata,
    long? BudgetPico = null)
{
    // Set for jobs created from an uploaded file through the OpenAI Batch API.
    public string? InputFileId { get; init; }
    public string? Endpoint { get; init; }
    public string? CompletionWindow { get; init; }
    /// <summary>The deadline, counted from creation by the store's clock; null for none.</summary>
    public TimeSpan? CompletionWindowLength { get; init; }
    /// <summary>The mode's decision: how the job runs, why, and its estimated cost (Modes/).</summary>
    public Modes.ModeDecision? Plan { get; init; }

    public static string NewId() => "job_" + Guid.CreateVersion7().ToString("N");
}
