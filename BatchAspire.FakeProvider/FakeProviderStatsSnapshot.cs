namespace BatchAspire.FakeProvider;

/// <summary>
/// What the fake saw, at one moment. Served as snake_case JSON at <c>GET /stats</c>.
/// "Accepted" means admitted by the limits (and counted in their windows); an accepted
/// request may still be answered with an injected 5xx or a dropped connection.
/// </summary>
public sealed record FakeProviderStatsSnapshot
{
    /// <summary>Every request that reached a provider endpoint.</summary>
    public long Requests { get; init; }

    /// <summary>Admitted by the limits and counted in the rolling windows.</summary>
    public long Accepted { get; init; }

    /// <summary>Answered 200.</summary>
    public long Succeeded { get; init; }

    /// <summary>429 <c>rate_limit_exceeded</c> for any dimension (sum of the three below).</summary>
    public long RejectedRateLimit { get; init; }

    public long RejectedRequestsLimit { get; init; }

    public long RejectedTokensLimit { get; init; }

    public long RejectedConcurrency { get; init; }

    /// <summary>429 <c>insufficient_quota</c>.</summary>
    public long RejectedQuota { get; init; }

    /// <summary>Injected 500/502/503 plus outage 503s.</summary>
    public long ServerErrors { get; init; }

    /// <summary>503s while <see cref="FakeProviderOptions.DownUntil"/> was in the future (also in <see cref="ServerErrors"/>).</summary>
    public long OutageRejections { get; init; }

    public long Dropped { get; init; }

    public long Unauthorized { get; init; }

    /// <summary>Requests with no <c>Authorization: Bearer</c> header at all (counted even when no key is required).</summary>
    public long RequestsWithoutKey { get; init; }

    public long BadRequests { get; init; }

    public int CurrentInFlight { get; init; }

    public long MaxInFlight { get; init; }

    /// <summary>Maximum over admissions of the accepted requests in the rolling 60 s before it.</summary>
    public long PeakRequestsPerMinute { get; init; }

    /// <summary>Maximum over admissions of the accepted token charge (prompt + max tokens) in the rolling 60 s before it.</summary>
    public long PeakTokensPerMinute { get; init; }

    /// <summary>Maximum over admissions of the accepted requests in the rolling 1 s before it.</summary>
    public long PeakRequestsPerSecond { get; init; }

    /// <summary>Sum of <c>usage.prompt_tokens</c> returned.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Sum of <c>usage.completion_tokens</c> returned.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>HTTP calls per <c>X-Client-Request-Id</c> header value.</summary>
    public IReadOnlyDictionary<string, long> CallsPerCustomId { get; init; } = new Dictionary<string, long>();

    public long MaxCallsForAnyCustomId { get; init; }
}
