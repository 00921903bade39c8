using System.Globalization;
using System.Net.Http.Headers;

namespace BatchAspire.Core.Providers;

/// <summary>
/// What a provider said about its limits on one response (OpenAI <c>x-ratelimit-*</c>, Anthropic
/// <c>anthropic-ratelimit-*</c>), in one shape. Resets are durations from the response, whichever way the
/// provider wrote them (OpenAI <c>6m0s</c>, Anthropic an RFC 3339 instant, measured against the response's
/// <c>Date</c>). Null fields were not sent. Gemini sends no such headers.
/// </summary>
public sealed record RateLimitSnapshot
{
    public long? RequestsLimit { get; init; }
    public long? RequestsRemaining { get; init; }
    public TimeSpan? RequestsReset { get; init; }
    public long? TokensLimit { get; init; }
    public long? TokensRemaining { get; init; }
    public TimeSpan? TokensReset { get; init; }
    /// <summary>Anthropic only: its separate input-token limit.</summary>
    public long? InputTokensLimit { get; init; }
    public long? InputTokensRemaining { get; init; }
    public TimeSpan? InputTokensReset { get; init; }
    /// <summary>Anthropic only: its separate output-token limit.</summary>
    public long? OutputTokensLimit { get; init; }
    public long? OutputTokensRemaining { get; init; }
    public TimeSpan? OutputTokensReset { get; init; }

    public bool IsEmpty => this == Empty;
    private static readonly RateLimitSnapshot Empty = new();

    /// <summary>OpenAI's <c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c>.</summary>
    public static RateLimitSnapshot? FromOpenAI(HttpResponseHeaders h)
    {
        var s = new RateLimitSnapshot
        {
            RequestsLimit = Long(h, "x-ratelimit-limit-requests"),
            RequestsRemaining = Long(h, "x-ratelimit-remaining-requests"),
            RequestsReset = GoDuration(Header(h, "x-ratelimit-reset-requests")),
            TokensLimit = Long(h, "x-ratelimit-limit-tokens"),
            TokensRemaining = Long(h, "x-ratelimit-remaining-tokens"),
            TokensReset = GoDuration(Header(h, "x-ratelimit-reset-tokens")),
        };
        return s.IsEmpty ? null : s;
    }

    /// <summary>Anthropic's <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c>.</summary>
    public static RateLimitSnapshot? FromAnthropic(HttpResponseHeaders h)
    {
        var now = h.Date ?? DateTimeOffset.UtcNow;
        TimeSpan? Reset(string name) =>
            DateTimeOffset.TryParse(Header(h, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at - now < TimeSpan.Zero ? TimeSpan.Zero : at - now
                : null;
        var s = new RateLimitSnapshot
        {
            RequestsLimit = Long(h, "anthropic-ratelimit-requests-limit"),
            RequestsRemaining = Long(h, "anthropic-ratelimit-requests-remaining"),
            RequestsReset = Reset("anthropic-ratelimit-requests-reset"),
            TokensLimit = Long(h, "anthropic-ratelimit-tokens-limit"),
            TokensRemaining = Long(h, "anthropic-ratelimit-tokens-remaining"),
            TokensReset = Reset("anthropic-ratelimit-tokens-reset"),
            InputTokensLimit = Long(h, "anthropic-ratelimit-input-tokens-limit"),
            InputTokensRemaining = Long(h, "anthropic-ratelimit-input-tokens-remaining"),
            InputTokensReset = Reset("anthropic-ratelimit-input-tokens-reset"),
            OutputTokensLimit = Long(h, "anthropic-ratelimit-output-tokens-limit"),
            OutputTokensRemaining = Long(h, "anthropic-ratelimit-output-tokens-remaining"),
            OutputTokensReset = Reset("anthropic-ratelimit-output-tokens-reset"),
        };
        return s.IsEmpty ? null : s;
    }

    private static string? Header(HttpResponseHeaders h, string name) =>
        h.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static long? Long(HttpResponseHeaders h, string name) =>
        long.TryParse(Header(h, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A Go duration as OpenAI writes it: <c>1s</c>, <c>6m0s</c>, <c>12ms</c>, <c>1h2m3.5s</c>.</summary>
    public static TimeSpan? GoDuration(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        double ms = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.')) i++;
            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return null;
            var unitStart = i;
            while (i < text.Length && char.IsLetter(text[i])) i++;
            ms += text[unitStart..i] switch
            {
                "h" => value * 3_600_000,
                "m" => value * 60_000,
                "s" => value * 1000,
                "ms" => value,
                "us" or "µs" => value / 1000,
                "ns" => value / 1_000_000,
                _ => double.NaN,
            };
            if (double.IsNaN(ms)) return null;
        }
        return TimeSpan.FromMilliseconds(ms);
    }
}
