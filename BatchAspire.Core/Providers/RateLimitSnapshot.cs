using System.Globalization;
using System.Net.Http.Headers;

namespace BatchAspire.Core.Providers;

/// <summary>
/// The limits a provider announced on a response (OpenAI <c>x-ratelimit-*</c>, Anthropic
/// <c>anthropic-ratelimit-*</c>), in one shape: what the limiter adopts when none are configured. Resets are
/// durations from the response, whichever way the provider wrote them (OpenAI a Go duration such as
/// <c>6m0s</c>; Anthropic an RFC 3339 instant, measured against the response's <c>Date</c>). Null members
/// were not sent. Anthropic's separate input- and output-token limits ride in the init-only members; Gemini
/// sends no such headers. (Positional members and <see cref="FromHeaders"/> match the limiter branch's shape.)
/// </summary>
public sealed record RateLimitSnapshot(
    long? LimitRequests,
    long? LimitTokens,
    long? RemainingRequests,
    long? RemainingTokens,
    TimeSpan? ResetRequests,
    TimeSpan? ResetTokens)
{
    public long? LimitInputTokens { get; init; }
    public long? RemainingInputTokens { get; init; }
    public TimeSpan? ResetInputTokens { get; init; }
    public long? LimitOutputTokens { get; init; }
    public long? RemainingOutputTokens { get; init; }
    public TimeSpan? ResetOutputTokens { get; init; }

    private static readonly RateLimitSnapshot Empty = new(null, null, null, null, null, null);

    /// <summary>Reads OpenAI's headers; null when the response carries none of them.</summary>
    public static RateLimitSnapshot? FromHeaders(HttpResponseHeaders headers)
    {
        var snapshot = new RateLimitSnapshot(
            Number(headers, "x-ratelimit-limit-requests"),
            Number(headers, "x-ratelimit-limit-tokens"),
            Number(headers, "x-ratelimit-remaining-requests"),
            Number(headers, "x-ratelimit-remaining-tokens"),
            ParseDuration(Header(headers, "x-ratelimit-reset-requests")),
            ParseDuration(Header(headers, "x-ratelimit-reset-tokens")));
        return snapshot == Empty ? null : snapshot;
    }

    /// <summary>Reads Anthropic's <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c>.</summary>
    public static RateLimitSnapshot? FromAnthropic(HttpResponseHeaders headers)
    {
        var now = headers.Date ?? DateTimeOffset.UtcNow;
        TimeSpan? Reset(string name) =>
            DateTimeOffset.TryParse(Header(headers, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at < now ? TimeSpan.Zero : at - now
                : null;
        const string p = "anthropic-ratelimit-";
        var snapshot = new RateLimitSnapshot(
            Number(headers, p + "requests-limit"),
            Number(headers, p + "tokens-limit"),
            Number(headers, p + "requests-remaining"),
            Number(headers, p + "tokens-remaining"),
            Reset(p + "requests-reset"),
            Reset(p + "tokens-reset"))
        {
            LimitInputTokens = Number(headers, p + "input-tokens-limit"),
            RemainingInputTokens = Number(headers, p + "input-tokens-remaining"),
            ResetInputTokens = Reset(p + "input-tokens-reset"),
            LimitOutputTokens = Number(headers, p + "output-tokens-limit"),
            RemainingOutputTokens = Number(headers, p + "output-tokens-remaining"),
            ResetOutputTokens = Reset(p + "output-tokens-reset"),
        };
        return snapshot == Empty ? null : snapshot;
    }

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

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static long? Number(HttpResponseHeaders headers, string name) =>
        long.TryParse(Header(headers, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}
