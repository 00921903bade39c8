using System.Globalization;
using System.Net.Http.Headers;

namespace BatchAspire.Core.Providers;

/// <summary>
/// The limits a provider announced on a response (<c>x-ratelimit-*</c>): what the limiter adopts when none
/// are configured. Null members were not sent.
/// </summary>
public sealed record RateLimitSnapshot(
    long? LimitRequests,
    long? LimitTokens,
    long? RemainingRequests,
    long? RemainingTokens,
    TimeSpan? ResetRequests,
    TimeSpan? ResetTokens)
{
    /// <summary>Reads OpenAI's headers; null when the response carries none of them.</summary>
    public static RateLimitSnapshot? FromHeaders(HttpResponseHeaders headers)
    {
        var snapshot = new RateLimitSnapshot(
            Number(headers, "x-ratelimit-limit-requests"),
            Number(headers, "x-ratelimit-limit-tokens"),
            Number(headers, "x-ratelimit-remaining-requests"),
            Number(headers, "x-ratelimit-remaining-tokens"),
            Duration(headers, "x-ratelimit-reset-requests"),
            Duration(headers, "x-ratelimit-reset-tokens"));
        return snapshot == Empty ? null : snapshot;
    }

    private static readonly RateLimitSnapshot Empty = new(null, null, null, null, null, null);

    /// <summary>
    /// OpenAI's reset format, Go's duration syntax: <c>1s</c>, <c>6m0s</c>, <c>120ms</c>, <c>1h2m3.5s</c>.
    /// A bare number is taken as seconds. Null when it is not a duration.
    /// </summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text.Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare)) return bare >= 0 ? TimeSpan.FromSeconds(bare) : null;
        double totalMs = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return null;
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            double? perUnitMs = s[unitStart..i] switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1000,
                "ms" => 1,
                "us" or "µs" => 0.001,
                "ns" => 0.000_001,
                _ => null,
            };
            if (perUnitMs is null) return null;
            totalMs += value * perUnitMs.Value;
        }
        return TimeSpan.FromMilliseconds(totalMs);
    }

    private static long? Number(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values)
        && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : null;

    private static TimeSpan? Duration(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? ParseDuration(values.FirstOrDefault()) : null;
}
