namespace BatchAspire.Core.RateLimiting;

/// <summary>
/// The offset between the store's clock (which schedules every slot) and this process's, estimated the way NTP
/// does: from the round trip with the shortest delay seen lately, whose midpoint is closest to when the store read
/// its clock. A slow answer then does not shift the slots it carries.
/// </summary>
internal sealed class StoreClock
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private TimeSpan _offset;
    private TimeSpan _bestRoundTrip = TimeSpan.MaxValue;
    private DateTimeOffset _bestAt;

    /// <summary>Learns from one round trip without mapping anything (calibration with the store's TIME).</summary>
    public void Sample(DateTimeOffset storeTime, DateTimeOffset asked, DateTimeOffset answered) => ToLocal(storeTime, asked, answered);

    /// <summary>The local time of <paramref name="storeTime"/>, learning from a call asked at <paramref name="asked"/> and answered at <paramref name="answered"/>.</summary>
    public DateTimeOffset ToLocal(DateTimeOffset storeTime, DateTimeOffset asked, DateTimeOffset answered)
    {
        var roundTrip = answered - asked;
        lock (_lock)
        {
            // A fresher sample replaces an old best, so drift is followed; a quicker one always wins.
            if (roundTrip <= _bestRoundTrip || answered - _bestAt > Refresh)
            {
                _bestRoundTrip = roundTrip;
                _bestAt = answered;
                _offset = storeTime - (asked + roundTrip / 2);
            }
            return storeTime - _offset;
        }
    }
}
