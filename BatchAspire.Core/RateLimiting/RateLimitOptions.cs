using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Core.RateLimiting;

/// <summary>How the distributed limiter paces calls (DESIGN.md §6). Section <c>BatchAspire:RateLimits</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "BatchAspire:RateLimits";

    /// <summary>
    /// How much rate a scope may save up while idle, as time at the limit (one request at least). A bucket that
    /// starts full with a minute's worth gets 429s from providers that enforce the limit in sub-minute slices. Even
    /// one second's worth, which a per-second slice holds in theory, sends calls in clusters whose stragglers then
    /// share a second with the next cluster; evenly spaced calls tolerate lateness far better. Hence 0: one
    /// request, then an even spacing. Raise it for providers that do not slice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "BatchAspire:RateLimits:Burst must be between 0 and 1 minute.")]
    public TimeSpan Burst { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// A call that could not leave within this long after its reserved slot (a busy machine, a cooldown) gives the
    /// slot back and takes a new one: sent late, it would share a rolling second with calls reserved after it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10", ErrorMessage = "BatchAspire:RateLimits:MaxLateness must be between 1 ms and 10 seconds.")]
    public TimeSpan MaxLateness { get; set; } = TimeSpan.FromMilliseconds(15);

    /// <summary>
    /// The sub-minute slice providers also enforce each per-minute limit in (OpenAI: 600 RPM is also 10 in any
    /// rolling second). Reserved sends are logged for this long (stretched by 1/<see cref="Utilization"/>) so no
    /// slice ever holds more than limit × slice / 1 min. 0 turns the slice log off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "BatchAspire:RateLimits:Slice must be between 0 and 1 minute.")]
    public TimeSpan Slice { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How late a Worker's first call to a scope may reach the provider after its slot (JIT, a new connection, a
    /// TLS handshake). That call goes alone and is logged this much later, so calls reserved after it stay clear.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "BatchAspire:RateLimits:ColdStart must be between 0 and 10 seconds.")]
    public TimeSpan ColdStart { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How far ahead one store call may reserve evenly spaced send slots (fewer round trips, same continuous rate).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30", ErrorMessage = "BatchAspire:RateLimits:Horizon must be between 0 and 30 seconds.")]
    public TimeSpan Horizon { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The fraction of a limit aimed at. The rest absorbs the jitter between a reserved slot and the provider seeing
    /// the call: at 600 RPM, 0.96 spaces calls 104 ms apart, so a call may arrive ~40 ms late without an 11th landing
    /// in a rolling second.
    /// </summary>
    [Range(0.1, 1.0, ErrorMessage = "BatchAspire:RateLimits:Utilization must be between 0.1 and 1.")]
    public double Utilization { get; set; } = 0.96;

    /// <summary>Calls in flight per scope while its limits are neither configured nor yet announced by the provider.</summary>
    [Range(1, 10_000, ErrorMessage = "BatchAspire:RateLimits:UnknownLimitsConcurrency must be between 1 and 10,000.")]
    public int UnknownLimitsConcurrency { get; set; } = 4;

    /// <summary>Output tokens reserved per call when the request sets no max_tokens and no average has been learned yet.</summary>
    [Range(0, 1_000_000, ErrorMessage = "BatchAspire:RateLimits:DefaultOutputTokens must be between 0 and 1,000,000.")]
    public int DefaultOutputTokens { get; set; } = 256;

    /// <summary>Items asked for in one acquire call.</summary>
    [Range(1, 1000, ErrorMessage = "BatchAspire:RateLimits:MaxBatch must be between 1 and 1000.")]
    public int MaxBatch { get; set; } = 64;

    /// <summary>When only concurrency is short, how long before asking again (a release in this process wakes it sooner).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "BatchAspire:RateLimits:ConcurrencyRetryDelay must be between 1 ms and 1 minute.")]
    public TimeSpan ConcurrencyRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A Worker told to wait longer than this hands its leased items back (delayed) instead of holding them.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "BatchAspire:RateLimits:MaxInProcessWait must be between 0 and 10 minutes.")]
    public TimeSpan MaxInProcessWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long releases are gathered before one store call records them (a 429, a quota stop or a concurrency wait flushes at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "BatchAspire:RateLimits:ReleaseLinger must be between 0 and 10 seconds.")]
    public TimeSpan ReleaseLinger { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a scope stays stopped after the provider said its quota is exhausted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "BatchAspire:RateLimits:QuotaStop must be between 1 second and 1 day.")]
    public TimeSpan QuotaStop { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Items a Worker keeps waiting for permits at least; it leases no more until they drain.</summary>
    [Range(1, 100_000, ErrorMessage = "BatchAspire:RateLimits:MinBacklog must be between 1 and 100,000.")]
    public int MinBacklog { get; set; } = 16;

    /// <summary>Beyond <see cref="MinBacklog"/>, a Worker keeps this much of its recent grant rate waiting.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "BatchAspire:RateLimits:Backlog must be between 0 and 1 minute.")]
    public TimeSpan Backlog { get; set; } = TimeSpan.FromSeconds(2);
}
