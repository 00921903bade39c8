using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Core.Store;

/// <summary>How BatchAspire lays out its data in Redis. Section <c>BatchAspire:Store</c>.</summary>
public sealed class StoreOptions
{
    public const string Section = "BatchAspire:Store";

    /// <summary>Every key starts with this, so several deployments can share one Redis.</summary>
    [Required, RegularExpression(@"^[A-Za-z0-9:_\-\.]{1,32}$", ErrorMessage = "BatchAspire:Store:KeyPrefix must be 1-32 characters of letters, digits, ':', '_', '-' or '.'.")]
    public string KeyPrefix { get; set; } = "ba:";

    /// <summary>How long a finished job and its results are kept (OpenAI keeps batch output 30 days).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00", ErrorMessage = "BatchAspire:Store:Retention must be between 1 minute and 10 years.")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);
}
