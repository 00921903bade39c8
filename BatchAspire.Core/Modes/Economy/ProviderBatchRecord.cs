namespace BatchAspire.Core.Modes.Economy;

/// <summary>
/// One provider batch of an economy job, as stored (durable, so a restarted Worker resumes it): items
/// [<see cref="Start"/>, <see cref="End"/>) of the job, the provider's batch id, and when to poll next.
/// </summary>
public sealed record ProviderBatchRecord
{
    public required int Chunk { get; init; }
    public required long Start { get; init; }
    public required long End { get; init; }
    public required string Provider { get; init; }
    public string? BatchId { get; init; }
    /// <summary><see cref="ProviderBatchStates"/>.</summary>
    public required string State { get; init; }
    /// <summary>The provider's own status word at the last poll (validating, in_progress, ended, ...).</summary>
    public string? ProviderStatus { get; init; }
    public long EstimatedTokens { get; init; }
    public long SubmittedAtMs { get; init; }
    public long NextPollAtMs { get; init; }
    public long PollIntervalMs { get; init; }
}

public static class ProviderBatchStates
{
    /// <summary>Submitted and not finished: polled until it ends.</summary>
    public const string Submitted = "submitted";
    /// <summary>Its results are recorded.</summary>
    public const string Done = "done";
    /// <summary>Cancelled with its job; nothing more is recorded.</summary>
    public const string Cancelled = "cancelled";
}
