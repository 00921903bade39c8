namespace BatchAspire.Core.RateLimiting;

/// <summary>Leave to send one call in a scope, holding its reserved tokens (and a concurrency slot) until released.</summary>
public sealed class Permit
{
    private int _released;

    internal Permit(PermitScope scope, string id, long reservedTokens, bool outputEstimated, DateTimeOffset sendAt, DateTimeOffset requestedAt)
    {
        OutputEstimated = outputEstimated;
        Scope = scope;
        Id = id;
        ReservedTokens = reservedTokens;
        SendAt = sendAt;
        RequestedAt = requestedAt;
    }

    public PermitScope Scope { get; }
    public string Id { get; }
    public long ReservedTokens { get; }

    /// <summary>The request set no max tokens, so its output was estimated and is reconciled with the reported usage.</summary>
    public bool OutputEstimated { get; }

    /// <summary>The slot reserved for this call: it is not sent before this moment.</summary>
    public DateTimeOffset SendAt { get; }

    public DateTimeOffset RequestedAt { get; }

    /// <summary>True the first time only, so a permit is released once.</summary>
    internal bool MarkReleased() => Interlocked.Exchange(ref _released, 1) == 0;
}

/// <summary>
/// No permit now: the scope's quota is exhausted (<see cref="IsQuotaStop"/>), or the wait is too long to hold a
/// lease through, so the item goes back to the store for <see cref="RetryIn"/>.
/// </summary>
public sealed class PermitDeniedException(string reason, TimeSpan retryIn, string? providerMessage)
    : Exception($"No permit ({reason}); retry in {retryIn.TotalMilliseconds:0} ms.")
{
    public string Reason { get; } = reason;
    public TimeSpan RetryIn { get; } = retryIn;
    public string? ProviderMessage { get; } = providerMessage;
    public bool IsQuotaStop => Reason == AcquireResult.Quota;
}
