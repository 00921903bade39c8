using System.Globalization;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Adds <c>retry-after</c> (whole seconds, rounded up) and <c>retry-after-ms</c> to an inner result.
/// Without a known wait (e.g. a request too large to ever pass) neither header is sent.
/// </summary>
internal sealed class RetryAfterResult(TimeSpan? retryAfter, IResult inner) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (retryAfter is { } wait)
        {
            var ms = Math.Max(1, OpenAIDuration.CeilingMilliseconds(wait));
            httpContext.Response.Headers["retry-after"] = ((ms + 999) / 1000).ToString(CultureInfo.InvariantCulture);
            httpContext.Response.Headers["retry-after-ms"] = ms.ToString(CultureInfo.InvariantCulture);
        }

        return inner.ExecuteAsync(httpContext);
    }
}
