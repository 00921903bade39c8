using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BatchAspire.FakeProvider;

/// <summary>A failure a request asked for: <see cref="Kind"/> (e.g. <c>429</c>), an optional retry-after in ms.</summary>
internal sealed record ForcedFailure(string Kind, int? RetryAfterMs);

/// <summary>Failures only one dialect can say (Anthropic's spend limit, its 402 billing error).</summary>
internal interface IDialectForcedFailures
{
    /// <summary>The answer for a dialect-specific <paramref name="kind"/>, or null if the dialect has no such failure.</summary>
    IResult? Forced(string kind);
}

/// <summary>
/// Deterministic per-request failures, honoured only by the fake: a request header
/// <c>X-Fake-Fail: kind[:retryMs]</c>, or a marker <c>[[fake:kind[:retryMs][*n]]]</c> anywhere in the body
/// (for clients that cannot add headers, such as the BatchAspire providers); <c>*n</c> fails only the
/// first n calls with the same body. Kinds: <c>429</c>, <c>quota</c>, <c>400</c>, <c>500</c>, <c>502</c>,
/// <c>503</c>, <c>529</c> (overloaded, as the dialect's outage), <c>drop</c>, <c>echo</c> (400 echoing every
/// request header, as a misbehaving proxy would) and dialect-specific ones.
/// A forced failure is decided after auth and parse and before the limiter: it is never counted in the windows.
/// </summary>
internal sealed partial class ForcedFailures
{
    public const string Header = "X-Fake-Fail";

    private const int DefaultRetryAfterMs = 1000;

    private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);

    public ForcedFailure? Find(HttpRequest request, JsonElement body)
    {
        var header = request.Headers[Header].ToString();
        if (!string.IsNullOrWhiteSpace(header))
        {
            var m = HeaderPattern().Match(header.Trim());
            return m.Success
                ? new ForcedFailure(m.Groups["kind"].Value.ToLowerInvariant(), RetryMs(m))
                : new ForcedFailure(header.Trim(), null);
        }

        var raw = body.GetRawText();
        if (!raw.Contains("[[fake:", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (Match m in MarkerPattern().Matches(raw))
        {
            if (m.Groups["times"].Success)
            {
                var seen = _seen.AddOrUpdate(raw + m.Value, 1, static (_, n) => n + 1);
                if (seen > int.Parse(m.Groups["times"].Value, CultureInfo.InvariantCulture))
                {
                    continue;
                }
            }

            return new ForcedFailure(m.Groups["kind"].Value.ToLowerInvariant(), RetryMs(m));
        }

        return null;
    }

    public static IResult Answer(
        HttpContext context, IProviderDialect dialect, ForcedFailure failure, string model, FakeProviderOptions options, FakeProviderStats stats)
    {
        switch (failure.Kind)
        {
            case "429":
                stats.RecordRateLimited(LimitDimension.Requests);
                var retryAfter = TimeSpan.FromMilliseconds(failure.RetryAfterMs ?? DefaultRetryAfterMs);
                var limit = Math.Max(1, options.RequestsPerMinute);
                return dialect.RateLimited(new RateLimitRejection(LimitDimension.Requests, limit, limit, 1, retryAfter), model);
            case "quota":
                stats.RecordQuotaRejection();
                return dialect.QuotaExhausted();
            case "400":
                stats.RecordBadRequest();
                return dialect.BadRequest($"Forced failure: {Header} 400.", null);
            case "500" or "502" or "503":
                stats.RecordServerError();
                return dialect.ServerError(int.Parse(failure.Kind, CultureInfo.InvariantCulture));
            case "529" or "overloaded":
                stats.RecordOutage();
                return dialect.Outage();
            case "drop":
                stats.RecordDropped();
                context.Abort();
                return Results.Empty;
            case "echo":
                stats.RecordBadRequest();
                return dialect.BadRequest(
                    "Rejected request with headers " + string.Join("; ", context.Request.Headers.Select(h => $"{h.Key}: {h.Value}")), null);
        }

        if (dialect is IDialectForcedFailures specific && specific.Forced(failure.Kind) is { } answer)
        {
            stats.RecordQuotaRejection();
            return answer;
        }

        stats.RecordBadRequest();
        return dialect.BadRequest(
            $"Unknown {Header} kind '{failure.Kind}': expected 429, quota, 400, 500, 502, 503, 529, drop, echo or a kind of this provider.", null);
    }

    private static int? RetryMs(Match m) =>
        m.Groups["ms"].Success ? int.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"^(?<kind>[A-Za-z0-9_-]+)(?::(?<ms>\d{1,9}))?$")]
    private static partial Regex HeaderPattern();

    [GeneratedRegex(@"\[\[fake:(?<kind>[A-Za-z0-9_-]+)(?::(?<ms>\d{1,9}))?(?:\*(?<times>\d{1,6}))?\]\]")]
    private static partial Regex MarkerPattern();
}
