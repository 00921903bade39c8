namespace BatchAspire.FakeProvider;

/// <summary>
/// Weights admitted during the last <c>length</c> of time, as a queue of (time, weight).
/// Not thread-safe: <see cref="LimitEnforcer"/> guards all windows with one lock.
/// </summary>
/// <remarks>
/// An entry admitted at t counts while now &lt; t + length. Admissions within the same
/// millisecond are merged into one entry stamped with the latest time, which keeps the
/// queue bounded (≤ 1 entry per ms) and can only make the window stricter, never looser.
/// </remarks>
internal sealed class RollingWindow(TimeSpan length)
{
    private static readonly long MergeTicks = TimeSpan.TicksPerMillisecond;

    private readonly Queue<Entry> _entries = new();
    private Entry _newest;
    private bool _hasNewest;
    private long _sum;

    public TimeSpan Length { get; } = length;

    /// <summary>Sum of the weights still inside the window at <paramref name="now"/>.</summary>
    public long Sum(long now)
    {
        Evict(now);
        return _sum;
    }

    public void Add(long now, long weight)
    {
        Evict(now);
        _sum += weight;
        if (_hasNewest && now - _newest.Time < MergeTicks)
        {
            _newest = new Entry(now, _newest.Weight + weight);
            return;
        }

        if (_hasNewest)
        {
            _entries.Enqueue(_newest);
        }

        _newest = new Entry(now, weight);
        _hasNewest = true;
    }

    /// <summary>
    /// Time from <paramref name="now"/> until <c>Sum + weight ≤ limit</c>, assuming nothing else is admitted;
    /// zero if it fits now. Callers reject weights above the limit before asking.
    /// </summary>
    public TimeSpan TimeUntilFits(long now, long weight, long limit)
    {
        var excess = Sum(now) + weight - limit;
        if (excess <= 0)
        {
            return TimeSpan.Zero;
        }

        foreach (var entry in AllEntries())
        {
            excess -= entry.Weight;
            if (excess <= 0)
            {
                return TimeSpan.FromTicks(entry.Time + Length.Ticks - now);
            }
        }

        return TimeUntilEmpty(now);
    }

    /// <summary>Time from <paramref name="now"/> until every counted weight has left the window.</summary>
    public TimeSpan TimeUntilEmpty(long now)
    {
        Evict(now);
        return _hasNewest ? TimeSpan.FromTicks(_newest.Time + Length.Ticks - now) : TimeSpan.Zero;
    }

    public void Clear()
    {
        _entries.Clear();
        _hasNewest = false;
        _sum = 0;
    }

    private IEnumerable<Entry> AllEntries()
    {
        foreach (var entry in _entries)
        {
            yield return entry;
        }

        if (_hasNewest)
        {
            yield return _newest;
        }
    }

    private void Evict(long now)
    {
        var oldestAllowed = now - Length.Ticks;
        while (_entries.TryPeek(out var oldest) && oldest.Time <= oldestAllowed)
        {
            _sum -= oldest.Weight;
            _entries.Dequeue();
        }

        if (_entries.Count == 0 && _hasNewest && _newest.Time <= oldestAllowed)
        {
            _sum -= _newest.Weight;
            _hasNewest = false;
        }
    }

    private readonly record struct Entry(long Time, long Weight);
}
