namespace BatchAspire.FakeProvider;

/// <summary>Which limit turned a request away.</summary>
internal enum LimitDimension
{
    Requests,
    Tokens,
    Concurrency,
}

/// <summary>Why a request was turned away, with the figures an OpenAI-style message and retry headers need.</summary>
/// <param name="PerSecondSlice">The rolling 1 s slice (RPM/60, TPM/60) rejected it, not the rolling minute.</param>
/// <param name="TooLarge">The request alone exceeds the per-minute token limit; retrying cannot help.</param>
/// <param name="RetryAfter">When the limit will admit this request if nothing else is admitted; null when unknowable.</param>
internal sealed record RateLimitRejection(
    LimitDimension Dimension,
    long Limit,
    long Used,
    long Requested,
    TimeSpan? RetryAfter,
    bool PerSecondSlice = false,
    bool TooLarge = false);

/// <summary>What the x-ratelimit-* headers report after a decision (per-minute figures, as OpenAI reports them).</summary>
/// <param name="RequestsReset">Time until the rolling minute holds no counted request.</param>
/// <param name="TokensReset">Time until the rolling minute holds no counted token.</param>
internal readonly record struct RateLimitStatus(
    long RequestLimit,
    long RequestsRemaining,
    TimeSpan RequestsReset,
    long TokenLimit,
    long TokensRemaining,
    TimeSpan TokensReset);

/// <summary>The limiter's answer: admitted (and holding a concurrency slot until released) or rejected.</summary>
internal readonly record struct Admission(RateLimitRejection? Rejection, RateLimitStatus Status)
{
    public bool Admitted => Rejection is null;
}
