using Microsoft.Extensions.Options;

namespace BatchAspire.Core.Retries;

/// <summary>Exponential backoff with full jitter, and the limits (attempts, window) that end retrying.</summary>
public sealed class RetryPolicy(IOptions<RetryOptions> options)
{
    public RetryOptions Options => options.Value;

    /// <summary>Delay before the attempt after <paramref name="failedAttempts"/> failures: random in [d/2, d], d = base·2^(n-1), capped.</summary>
    public TimeSpan Backoff(int failedAttempts, Random? random = null)
    {
        var o = options.Value;
        var exponent = Math.Min(failedAttempts - 1, 30);
        var ceiling = Math.Min(o.MaxDelay.TotalMilliseconds, o.BaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        var jitter = 0.5 + (random ?? Random.Shared).NextDouble() * 0.5;
        return TimeSpan.FromMilliseconds(ceiling * jitter);
    }

    public TimeSpan RateLimitWait(TimeSpan? retryAfter) =>
        retryAfter is { } wait && wait > TimeSpan.Zero
            ? wait < options.Value.MaxRateLimitWait ? wait : options.Value.MaxRateLimitWait
            : TimeSpan.FromSeconds(1);
}
