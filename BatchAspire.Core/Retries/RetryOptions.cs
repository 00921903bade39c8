using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Core.Retries;

/// <summary>How transient failures are retried. Section <c>BatchAspire:Retries</c>.</summary>
public sealed class RetryOptions
{
    public const string Section = "BatchAspire:Retries";

    /// <summary>Attempts per item, counting the first; a provider 429 does not count.</summary>
    [Range(1, 100, ErrorMessage = "BatchAspire:Retries:MaxAttempts must be between 1 and 100.")]
    public int MaxAttempts { get; set; } = 6;

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "BatchAspire:Retries:BaseDelay must be between 0 and 1 hour.")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "BatchAspire:Retries:MaxDelay must be between 0 and 1 day.")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>No retry is scheduled past this long after an item's first attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00", ErrorMessage = "BatchAspire:Retries:RetryWindow must be between 0 and 30 days.")]
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Quick retries of a transient failure inside the same lease, for sub-second hiccups (counted as attempts).</summary>
    [Range(0, 10, ErrorMessage = "BatchAspire:Retries:InProcessRetries must be between 0 and 10.")]
    public int InProcessRetries { get; set; } = 2;

    /// <summary>First delay of the in-process retries (exponential with jitter, capped at 1 s); longer waits go to the durable delayed set.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01", ErrorMessage = "BatchAspire:Retries:InProcessDelay must be between 0 and 1 second.")]
    public TimeSpan InProcessDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest a provider's retry-after is honoured before trying again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "BatchAspire:Retries:MaxRateLimitWait must be between 0 and 1 hour.")]
    public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromMinutes(1);
}
