namespace BatchAspire.Core.Jobs;

/// <summary>
/// How much room a rate-limit scope has left right now, for the job stats and the dashboard. The limiter
/// implements <see cref="IRateLimitHeadroom"/> and registers it; until it does, stats report no headroom.
/// Every figure is optional: a scope reports the dimensions it has configured or learned.
/// </summary>
public sealed record ScopeHeadroom(
    string Scope,
    long? RequestsPerMinuteLimit = null,
    long? RequestsAvailable = null,
    long? TokensPerMinuteLimit = null,
    long? TokensAvailable = null,
    long? MaxConcurrency = null,
    long? InFlight = null,
    long? CooldownMs = null);

public interface IRateLimitHeadroom
{
    /// <summary>The scopes a job's items use (e.g. <c>openai/gpt-4o-mini</c>), with their current headroom.</summary>
    Task<IReadOnlyList<ScopeHeadroom>> ForJobAsync(string jobId, CancellationToken cancellationToken);
}
