using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Core.Modes;

/// <summary>Settings of the provider-batch modes: section <c>BatchAspire:Modes</c>.</summary>
public sealed class ModeOptions
{
    public const string Section = "BatchAspire:Modes";

    /// <summary>auto picks economy only for jobs of at least this many items (smaller ones finish sooner in fast).</summary>
    [Range(1, int.MaxValue)] public int AutoEconomyMinItems { get; set; } = 100;

    /// <summary>How long a provider may take to finish a batch (OpenAI, Anthropic and Gemini all promise 24 h).</summary>
    public TimeSpan BatchTurnaround { get; set; } = TimeSpan.FromHours(24);

    /// <summary>At most this many items per provider batch (also capped by the provider's own limit).</summary>
    [Range(1, 100_000)] public int MaxItemsPerProviderBatch { get; set; } = 100_000;

    /// <summary>First poll of a provider batch after this long; each poll doubles it up to <see cref="MaxPollInterval"/>.</summary>
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the EconomyPoller looks for work; it never calls a provider before a batch's next poll time.</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A Worker's claim on an economy job; another Worker takes the job over once it lapses.</summary>
    public TimeSpan ClaimDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait before retrying a provider batch submission that was refused for now (429, 5xx).</summary>
    public TimeSpan SubmitRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
