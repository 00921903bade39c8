namespace BatchAspire.FakeProvider;

/// <summary>
/// The referee: admits a request only if every configured dimension (RPM, TPM, their
/// per-second slices, concurrency) has room, and then charges all of them at once.
/// Windows are rolling, measured on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class LimitEnforcer
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    // Concurrency frees when some call completes, which the limiter cannot foresee.
    private static readonly TimeSpan ConcurrencyRetryAfter = TimeSpan.FromSeconds(1);

    private readonly FakeProviderOptions _options;
    private readonly FakeProviderStats _stats;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly Lock _gate = new();

    // Always kept, limited or not, so peaks can be measured.
    private readonly RollingWindow _minuteRequests = new(Minute);
    private readonly RollingWindow _minuteTokens = new(Minute);
    private readonly RollingWindow _secondRequests = new(Second);
    private readonly RollingWindow _secondTokens = new(Second);
    private int _inFlight;

    public LimitEnforcer(FakeProviderOptions options, FakeProviderStats stats, TimeProvider time)
    {
        _options = options;
        _stats = stats;
        _time = time;
        _origin = time.GetTimestamp();
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Per-second slice of a per-minute limit: ceil(limit / 60), at least 1.</summary>
    public static long SliceOf(long perMinute) => Math.Max(1, (perMinute + 59) / 60);

    /// <summary>Admit a request costing <paramref name="tokens"/>; an admitted request must be <see cref="Release"/>d.</summary>
    public Admission TryAdmit(long tokens)
    {
        var rpm = _options.RequestsPerMinute;
        var tpm = _options.TokensPerMinute;
        var slices = _options.PerSecondSlices;
        var maxConcurrency = _options.MaxConcurrency;

        lock (_gate)
        {
            var now = Now();
            var rejection = FindRejection(now, tokens, rpm, tpm, slices, maxConcurrency);
            if (rejection is null)
            {
                _minuteRequests.Add(now, 1);
                _minuteTokens.Add(now, tokens);
                _secondRequests.Add(now, 1);
                _secondTokens.Add(now, tokens);
                var inFlight = Interlocked.Increment(ref _inFlight);
                _stats.RecordAdmission(
                    _minuteRequests.Sum(now), _minuteTokens.Sum(now), _secondRequests.Sum(now), inFlight);
            }

            return new Admission(rejection, StatusAt(now, rpm, tpm));
        }
    }

    public void Release() => Interlocked.Decrement(ref _inFlight);

    /// <summary>The header figures without admitting anything (for answers decided before the limiter).</summary>
    public RateLimitStatus CurrentStatus()
    {
        lock (_gate)
        {
            return StatusAt(Now(), _options.RequestsPerMinute, _options.TokensPerMinute);
        }
    }

    /// <summary>Forget every admission (not the in-flight count), as if the provider had been idle for a minute.</summary>
    public void ClearWindows()
    {
        lock (_gate)
        {
            _minuteRequests.Clear();
            _minuteTokens.Clear();
            _secondRequests.Clear();
            _secondTokens.Clear();
        }
    }

    private RateLimitRejection? FindRejection(long now, long tokens, int rpm, long tpm, bool slices, int maxConcurrency)
    {
        if (maxConcurrency > 0 && Volatile.Read(ref _inFlight) >= maxConcurrency)
        {
            return new RateLimitRejection(LimitDimension.Concurrency, maxConcurrency, maxConcurrency, 1, ConcurrencyRetryAfter);
        }

        if (tpm > 0 && tokens > tpm)
        {
            return new RateLimitRejection(LimitDimension.Tokens, tpm, _minuteTokens.Sum(now), tokens, null, TooLarge: true);
        }

        RateLimitRejection? longest = null;
        if (rpm > 0)
        {
            longest = Longer(longest, Check(_minuteRequests, now, 1, rpm, LimitDimension.Requests, perSecond: false));
        }

        if (tpm > 0)
        {
            longest = Longer(longest, Check(_minuteTokens, now, tokens, tpm, LimitDimension.Tokens, perSecond: false));
        }

        if (slices && rpm > 0)
        {
            longest = Longer(longest, Check(_secondRequests, now, 1, SliceOf(rpm), LimitDimension.Requests, perSecond: true));
        }

        if (slices && tpm > 0)
        {
            longest = Longer(longest, Check(_secondTokens, now, tokens, SliceOf(tpm), LimitDimension.Tokens, perSecond: true));
        }

        return longest;
    }

    private static RateLimitRejection? Check(
        RollingWindow window, long now, long weight, long limit, LimitDimension dimension, bool perSecond)
    {
        // A request bigger than a per-second slice may still pass alone in an empty second,
        // otherwise a slice smaller than one request would block it forever.
        var wait = weight > limit
            ? window.TimeUntilEmpty(now)
            : window.TimeUntilFits(now, weight, limit);
        return wait <= TimeSpan.Zero
            ? null
            : new RateLimitRejection(dimension, limit, window.Sum(now), weight, wait, perSecond);
    }

    private static RateLimitRejection? Longer(RateLimitRejection? current, RateLimitRejection? candidate) =>
        candidate is not null && (current is null || candidate.RetryAfter > current.RetryAfter) ? candidate : current;

    private RateLimitStatus StatusAt(long now, int rpm, long tpm) => new(
        rpm,
        Math.Max(0, rpm - _minuteRequests.Sum(now)),
        _minuteRequests.TimeUntilEmpty(now),
        tpm,
        Math.Max(0, tpm - _minuteTokens.Sum(now)),
        _minuteTokens.TimeUntilEmpty(now));

    private long Now() => _time.GetElapsedTime(_origin).Ticks;
}
