namespace BatchAspire.FakeProvider;

/// <summary>
/// A partial change to the live options, for a fake running as its own process
/// (<c>POST /admin/options</c> with e.g. <c>{"quota_exhausted": true}</c>). Absent fields keep their value.
/// </summary>
internal sealed record FakeProviderOptionsPatch(
    int? RequestsPerMinute = null,
    long? TokensPerMinute = null,
    bool? PerSecondSlices = null,
    int? MaxConcurrency = null,
    bool? SendRateLimitHeaders = null,
    bool? QuotaExhausted = null,
    DateTimeOffset? DownUntil = null,
    int? DownForMs = null,
    double? ServerErrorRate = null,
    double? SlowResponseRate = null,
    int? SlowResponseMs = null,
    double? DropConnectionRate = null,
    int? LatencyMs = null,
    int? LatencyJitterMs = null)
{
    public void ApplyTo(FakeProviderOptions options, TimeProvider time)
    {
        if (RequestsPerMinute is { } rpm) options.RequestsPerMinute = rpm;
        if (TokensPerMinute is { } tpm) options.TokensPerMinute = tpm;
        if (PerSecondSlices is { } slices) options.PerSecondSlices = slices;
        if (MaxConcurrency is { } concurrency) options.MaxConcurrency = concurrency;
        if (SendRateLimitHeaders is { } headers) options.SendRateLimitHeaders = headers;
        if (QuotaExhausted is { } quota) options.QuotaExhausted = quota;
        if (DownUntil is { } until) options.DownUntil = until;
        if (DownForMs is { } downFor) options.DownUntil = downFor > 0 ? time.GetUtcNow().AddMilliseconds(downFor) : null;
        if (ServerErrorRate is { } errors) options.ServerErrorRate = errors;
        if (SlowResponseRate is { } slow) options.SlowResponseRate = slow;
        if (SlowResponseMs is { } slowMs) options.SlowResponseMs = slowMs;
        if (DropConnectionRate is { } drops) options.DropConnectionRate = drops;
        if (LatencyMs is { } latency) options.LatencyMs = latency;
        if (LatencyJitterMs is { } jitter) options.LatencyJitterMs = jitter;
    }
}
