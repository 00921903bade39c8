using System.Collections.Concurrent;

namespace BatchAspire.FakeProvider;

/// <summary>Counters of what the fake saw and did; lock-free except the peak maxima.</summary>
internal sealed class FakeProviderStats
{
    private readonly ConcurrentDictionary<string, long> _callsPerCustomId = new(StringComparer.Ordinal);
    private long _requests;
    private long _accepted;
    private long _succeeded;
    private long _rejectedRateLimit;
    private long _rejectedRequests;
    private long _rejectedTokens;
    private long _rejectedConcurrency;
    private long _rejectedQuota;
    private long _serverErrors;
    private long _outageRejections;
    private long _dropped;
    private long _unauthorized;
    private long _requestsWithoutKey;
    private long _badRequests;
    private long _maxInFlight;
    private long _peakRequestsPerMinute;
    private long _peakTokensPerMinute;
    private long _peakRequestsPerSecond;
    private long _promptTokens;
    private long _completionTokens;
    private long _maxCallsForAnyCustomId;

    public void RecordRequest(string? customId, bool carriedKey)
    {
        Interlocked.Increment(ref _requests);
        if (!carriedKey)
        {
            Interlocked.Increment(ref _requestsWithoutKey);
        }

        if (!string.IsNullOrEmpty(customId))
        {
            var calls = _callsPerCustomId.AddOrUpdate(customId, 1, static (_, n) => n + 1);
            RaiseTo(ref _maxCallsForAnyCustomId, calls);
        }
    }

    /// <summary>Called by the limiter, under its lock, with the rolling sums right after an admission.</summary>
    public void RecordAdmission(long minuteRequests, long minuteTokens, long secondRequests, long inFlight)
    {
        Interlocked.Increment(ref _accepted);
        RaiseTo(ref _peakRequestsPerMinute, minuteRequests);
        RaiseTo(ref _peakTokensPerMinute, minuteTokens);
        RaiseTo(ref _peakRequestsPerSecond, secondRequests);
        RaiseTo(ref _maxInFlight, inFlight);
    }

    public void RecordRateLimited(LimitDimension dimension)
    {
        Interlocked.Increment(ref _rejectedRateLimit);
        switch (dimension)
        {
            case LimitDimension.Requests:
                Interlocked.Increment(ref _rejectedRequests);
                break;
            case LimitDimension.Tokens:
                Interlocked.Increment(ref _rejectedTokens);
                break;
            default:
                Interlocked.Increment(ref _rejectedConcurrency);
                break;
        }
    }

    public void RecordSuccess(long promptTokens, long completionTokens)
    {
        Interlocked.Increment(ref _succeeded);
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _completionTokens, completionTokens);
    }

    public void RecordQuotaRejection() => Interlocked.Increment(ref _rejectedQuota);

    public void RecordServerError() => Interlocked.Increment(ref _serverErrors);

    public void RecordOutage()
    {
        Interlocked.Increment(ref _outageRejections);
        Interlocked.Increment(ref _serverErrors);
    }

    public void RecordDropped() => Interlocked.Increment(ref _dropped);

    public void RecordUnauthorized() => Interlocked.Increment(ref _unauthorized);

    public void RecordBadRequest() => Interlocked.Increment(ref _badRequests);

    public FakeProviderStatsSnapshot Snapshot(int currentInFlight) => new()
    {
        Requests = Interlocked.Read(ref _requests),
        Accepted = Interlocked.Read(ref _accepted),
        Succeeded = Interlocked.Read(ref _succeeded),
        RejectedRateLimit = Interlocked.Read(ref _rejectedRateLimit),
        RejectedRequestsLimit = Interlocked.Read(ref _rejectedRequests),
        RejectedTokensLimit = Interlocked.Read(ref _rejectedTokens),
        RejectedConcurrency = Interlocked.Read(ref _rejectedConcurrency),
        RejectedQuota = Interlocked.Read(ref _rejectedQuota),
        ServerErrors = Interlocked.Read(ref _serverErrors),
        OutageRejections = Interlocked.Read(ref _outageRejections),
        Dropped = Interlocked.Read(ref _dropped),
        Unauthorized = Interlocked.Read(ref _unauthorized),
        RequestsWithoutKey = Interlocked.Read(ref _requestsWithoutKey),
        BadRequests = Interlocked.Read(ref _badRequests),
        CurrentInFlight = currentInFlight,
        MaxInFlight = Interlocked.Read(ref _maxInFlight),
        PeakRequestsPerMinute = Interlocked.Read(ref _peakRequestsPerMinute),
        PeakTokensPerMinute = Interlocked.Read(ref _peakTokensPerMinute),
        PeakRequestsPerSecond = Interlocked.Read(ref _peakRequestsPerSecond),
        PromptTokens = Interlocked.Read(ref _promptTokens),
        CompletionTokens = Interlocked.Read(ref _completionTokens),
        CallsPerCustomId = new SortedDictionary<string, long>(_callsPerCustomId, StringComparer.Ordinal),
        MaxCallsForAnyCustomId = Interlocked.Read(ref _maxCallsForAnyCustomId),
    };

    /// <summary>Zero every counter; peaks restart from nothing (the limiter's windows are kept).</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _accepted, 0);
        Interlocked.Exchange(ref _succeeded, 0);
        Interlocked.Exchange(ref _rejectedRateLimit, 0);
        Interlocked.Exchange(ref _rejectedRequests, 0);
        Interlocked.Exchange(ref _rejectedTokens, 0);
        Interlocked.Exchange(ref _rejectedConcurrency, 0);
        Interlocked.Exchange(ref _rejectedQuota, 0);
        Interlocked.Exchange(ref _serverErrors, 0);
        Interlocked.Exchange(ref _outageRejections, 0);
        Interlocked.Exchange(ref _dropped, 0);
        Interlocked.Exchange(ref _unauthorized, 0);
        Interlocked.Exchange(ref _requestsWithoutKey, 0);
        Interlocked.Exchange(ref _badRequests, 0);
        Interlocked.Exchange(ref _maxInFlight, 0);
        Interlocked.Exchange(ref _peakRequestsPerMinute, 0);
        Interlocked.Exchange(ref _peakTokensPerMinute, 0);
        Interlocked.Exchange(ref _peakRequestsPerSecond, 0);
        Interlocked.Exchange(ref _promptTokens, 0);
        Interlocked.Exchange(ref _completionTokens, 0);
        Interlocked.Exchange(ref _maxCallsForAnyCustomId, 0);
        _callsPerCustomId.Clear();
    }

    private static void RaiseTo(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
