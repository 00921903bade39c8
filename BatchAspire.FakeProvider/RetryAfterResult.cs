using System.Globalization;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Adds <c>retry-after</c> (whole seconds, rounded up) and <c>retry-after-ms</c> to an inner result.
/// Without a known wait (e.g. a request too large to ever pass) neither header is sent.
/// <paramref name="withMilliseconds"/> false sends <c>retry-after</c> alone (Anthropic, Gemini).
/// </summary>
internal sealed class RetryAfterResult(TimeSpan? retryAfter, IResult inner, bool withMilliseconds = true) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (retryAfter is { } wait)
        {
            var ms = Math.Max(1, OpenAIDuration.CeilingMilliseconds(wait));
            httpContext.Response.Headers["retry-after"] = ((ms + 999) / 1000).ToString(CultureInfo.InvariantCulture);
            if (withMilliseconds)
            {
                httpContext.Response.Headers["retry-after-ms"] = ms.ToString(CultureInfo.InvariantCulture);
            }
        }

        return inner.ExecuteAsync(httpContext);
    }
}
