using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Modes.Economy;

/// <summary>One provider's native batch API: submit a provider batch, poll it, read its results, cancel it.</summary>
public interface IProviderBatchClient
{
    /// <summary>The provider's own limits on one batch.</summary>
    ProviderBatchLimits Limits { get; }

    Task<BatchSubmitResult> SubmitAsync(string jobId, int chunk, IReadOnlyList<StoredItem> items, CancellationToken cancellationToken);

    Task<BatchPollResult> PollAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Every per-item result of an ended batch, streamed (a batch's output can be hundreds of MB).</summary>
    IAsyncEnumerable<BatchItemResult> ResultsAsync(BatchPollResult ended, CancellationToken cancellationToken);

    Task CancelAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>A result as the item asked for it (a translated request gets a translated answer); as it is by default.</summary>
    BatchItemResult ForItem(StoredItem item, BatchItemResult result) => result;
}

public sealed record ProviderBatchLimits(int MaxRequests, long MaxBytes);

/// <summary>Why the provider refused a batch: <see cref="Kind"/> says what to do about it.</summary>
public sealed record BatchRefusal(BatchRefusalKind Kind, int? StatusCode, ItemError Error);

public enum BatchRefusalKind
{
    /// <summary>403: the account cannot use the batch API at all. Fall back to fast, or fail.</summary>
    NotEnabled,
    /// <summary>429 or 5xx, connection failures: try again later.</summary>
    TryLater,
    /// <summary>400 and the like: these items cannot be batched as they are; they fail.</summary>
    Rejected,
}

public sealed record BatchSubmitResult(string? BatchId, BatchRefusal? Refusal);

/// <summary>
/// A poll: <see cref="Ended"/> once the provider is done with the batch (completed, failed, expired, cancelled);
/// <see cref="EndReason"/> is the item error code for items the batch ended without a result for.
/// </summary>
public sealed record BatchPollResult(string BatchId, string ProviderStatus, bool Ended, ItemError? EndReason, string? OutputRef, string? ErrorRef, BatchRefusal? Failure = null);

/// <summary>
/// One item's answer from a batch, in the provider's per-request format. A provider that cannot carry our
/// custom_ids (Anthropic's are limited to 64 of <c>[a-zA-Z0-9_-]</c>, Gemini answers inline requests in order)
/// names the item by its <see cref="Position"/> in the provider batch instead.
/// </summary>
public sealed record BatchItemResult(string CustomId, bool Succeeded, int? StatusCode, byte[]? Body, TokenUsage? Usage, ItemError? Error)
{
    public int? Position { get; init; }
}
