using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Worker;

/// <summary>How one Worker process runs. Section <c>BatchAspire:Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string Section = "BatchAspire:Worker";

    /// <summary>Provider calls this Worker has in flight at most (async: no thread per call).</summary>
    [Range(1, 100_000, ErrorMessage = "BatchAspire:Worker:MaxConcurrency must be between 1 and 100,000.")]
    public int MaxConcurrency { get; set; } = 1000;

    /// <summary>Items leased in one store round trip.</summary>
    [Range(1, 1000, ErrorMessage = "BatchAspire:Worker:LeaseBatchSize must be between 1 and 1000.")]
    public int LeaseBatchSize { get; set; } = 200;

    /// <summary>How long a lease lasts without renewal; a Worker that dies loses its items for at most this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "BatchAspire:Worker:LeaseDuration must be between 1 second and 1 hour.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often expired leases are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "BatchAspire:Worker:ReapInterval must be between 100 ms and 10 minutes.")]
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest an idle Worker waits before looking for work again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "BatchAspire:Worker:MaxIdleWait must be between 1 ms and 1 minute.")]
    public TimeSpan MaxIdleWait { get; set; } = TimeSpan.FromMilliseconds(250);
}
