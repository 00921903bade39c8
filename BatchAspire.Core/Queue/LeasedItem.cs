using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Queue;

/// <summary>An item a Worker holds a lease on, with the attempts made before this one.</summary>
public sealed class LeasedItem(string jobId, long index, StoredItem item, List<AttemptRecord> history, DateTimeOffset leasedAt)
{
    public string JobId { get; } = jobId;
    public long Index { get; } = index;
    public StoredItem Item { get; } = item;
    public List<AttemptRecord> History { get; } = history;
    public DateTimeOffset LeasedAt { get; set; } = leasedAt;

    /// <summary>Attempts that count toward MaxAttempts (a provider 429 does not).</summary>
    public int CountedAttempts => History.Count(a => a.Outcome != "rate_limited" && a.Outcome != "released");
}

public sealed record LeaseBatch(string Status, TimeSpan? NextDueIn, IReadOnlyList<LeasedItem> Items);

/// <summary>A final result for an item, ready to record.</summary>
public sealed record ItemCompletion(string JobId, long Index, bool Succeeded, byte[] ResultJson, TokenUsage Usage, long CostPico);

/// <summary>An item going back for another attempt after <see cref="Delay"/>.</summary>
public sealed record ItemReschedule(string JobId, long Index, TimeSpan Delay, List<AttemptRecord> History, RescheduleKind Kind);

public enum RescheduleKind { Retry, RateLimited, Release }
