using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers;

/// <summary>Every provider response is classified once, into one of these (DESIGN.md §7).</summary>
public enum ProviderOutcome
{
    Success,
    /// <summary>429 rate limit: shared cooldown, requeue, not counted as an attempt.</summary>
    RateLimited,
    /// <summary>Quota or spend limit exhausted: never retried.</summary>
    QuotaExhausted,
    /// <summary>5xx, overloaded, timeout, connection reset: backoff and retry.</summary>
    Transient,
    /// <summary>400, 401, 403, 404, 413, invalid body: fail at once.</summary>
    Permanent,
}

public static class ProviderOutcomeNames
{
    public static string Name(this ProviderOutcome outcome) => outcome switch
    {
        ProviderOutcome.Success => "success",
        ProviderOutcome.RateLimited => "rate_limited",
        ProviderOutcome.QuotaExhausted => "quota_exhausted",
        ProviderOutcome.Transient => "transient",
        _ => "permanent",
    };
}

/// <summary>A request to a provider: one item's body, resolved to a model.</summary>
public sealed record ProviderRequest(string JobId, string CustomId, ModelRoute Route, string Url, System.Text.Json.JsonElement Body);

/// <summary>What came back, classified. <see cref="Body"/> is the provider's JSON, kept verbatim.</summary>
public sealed record ProviderResponse(
    ProviderOutcome Outcome,
    int? StatusCode,
    byte[]? Body,
    TokenUsage? Usage = null,
    ItemError? Error = null,
    TimeSpan? RetryAfter = null,
    string? ResponseModel = null,
    RateLimitSnapshot? RateLimit = null);

public interface IProviderClient
{
    Task<ProviderResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken);
}
