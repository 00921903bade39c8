namespace BatchAspire.FakeProvider;

/// <summary>
/// How the fake provider behaves. Every property may be changed while the server runs
/// (e.g. a test switches <see cref="QuotaExhausted"/> on mid-run); reads and writes are atomic.
/// </summary>
public sealed class FakeProviderOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Address to bind; loopback unless a benchmark runs the fake in a container.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>When set, requests must carry <c>Authorization: Bearer {ApiKey}</c>.</summary>
    public string? ApiKey { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Requests per rolling 60 s; 0 = unlimited.</summary>
    public int RequestsPerMinute { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Tokens (prompt + requested max tokens) per rolling 60 s; 0 = unlimited.</summary>
    public long TokensPerMinute { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Also enforce RPM/60 and TPM/60 per rolling 1 s, as real providers enforce sub-minute slices.</summary>
    public bool PerSecondSlices { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Requests in flight at once; beyond it a request gets 429. 0 = unlimited.</summary>
    public int MaxConcurrency { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Send the <c>x-ratelimit-*</c> headers on every response.</summary>
    public bool SendRateLimitHeaders { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); } = true;

    /// <summary>Every request gets 429 <c>insufficient_quota</c> (no retry-after).</summary>
    public bool QuotaExhausted { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>While set and in the future (by the server's clock), every request gets 503.</summary>
    public DateTimeOffset? DownUntil
    {
        get
        {
            var ticks = Interlocked.Read(ref _downUntilUtcTicks);
            return ticks == NotDown ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
        set => Interlocked.Exchange(ref _downUntilUtcTicks, value?.UtcTicks ?? NotDown);
    }

    private const long NotDown = long.MinValue;
    private long _downUntilUtcTicks = NotDown;

    /// <summary>Share of admitted requests answered 500, 502 or 503 (0..1).</summary>
    public double ServerErrorRate { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Share of admitted requests delayed by <see cref="SlowResponseMs"/> instead of the normal latency (0..1).</summary>
    public double SlowResponseRate { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    public int SlowResponseMs { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); } = 30_000;

    /// <summary>Share of admitted requests whose connection is aborted without a response (0..1).</summary>
    public double DropConnectionRate { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Seed for the fault and jitter draws; null = unpredictable.</summary>
    public int? Seed { get; set; }

    /// <summary>Delay before an admitted request is answered.</summary>
    public int LatencyMs { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Uniform ± jitter around <see cref="LatencyMs"/>.</summary>
    public int LatencyJitterMs { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Completion tokens a reply uses (capped by the request's max tokens) and the TPM charge when max tokens is absent.</summary>
    public int DefaultCompletionTokens { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); } = 16;

    /// <summary>Dimensions of the fake embedding vectors.</summary>
    public int EmbeddingDimensions { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); } = 8;
}
