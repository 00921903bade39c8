using System.Globalization;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Durations as OpenAI writes them in <c>x-ratelimit-reset-*</c> and "Please try again in …"
/// (Go's <c>time.Duration</c> style): <c>120ms</c>, <c>1s</c>, <c>9.816s</c>, <c>6m0s</c>, <c>1h0m0s</c>.
/// Rounded up to the millisecond, so waiting the stated time is always enough.
/// </summary>
internal static class OpenAIDuration
{
    public static string Format(TimeSpan duration)
    {
        var ms = CeilingMilliseconds(duration);
        if (ms == 0)
        {
            return "0s";
        }

        if (ms < 1000)
        {
            return ms.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var hours = ms / 3_600_000;
        var minutes = ms / 60_000 % 60;
        var seconds = (ms % 60_000 / 1000m).ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return hours > 0 ? $"{hours}h{minutes}m{seconds}"
            : minutes > 0 ? $"{minutes}m{seconds}"
            : seconds;
    }

    public static long CeilingMilliseconds(TimeSpan duration) =>
        duration <= TimeSpan.Zero ? 0 : (duration.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
}
