using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Core.Telemetry;

/// <summary>What BatchAspire puts in its telemetry. Section <c>BatchAspire:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "BatchAspire:Telemetry";

    /// <summary>Puts prompt and completion text on attempt spans (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>). Off: they may hold personal data.</summary>
    public bool CaptureContent { get; set; }

    /// <summary>Maps a Prometheus scrape endpoint at <c>/metrics</c> on the Api.</summary>
    public bool Prometheus { get; set; }

    /// <summary>How old the queue-depth gauge's reading of the store may get before a collection reads it again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "BatchAspire:Telemetry:QueueDepthRefresh must be between 100 ms and 10 minutes.")]
    public TimeSpan QueueDepthRefresh { get; set; } = TimeSpan.FromSeconds(5);
}
