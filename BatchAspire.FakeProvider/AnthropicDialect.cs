using System.Globalization;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Anthropic's spelling: <c>x-api-key</c>; errors <c>{"type":"error","error":{"type","message"},"request_id"}</c>;
/// 429 <c>rate_limit_error</c> with <c>retry-after</c> (seconds); outage and 503 faults as 529 <c>overloaded_error</c>;
/// quota as the 400 "credit balance is too low"; <c>anthropic-ratelimit-requests|tokens-limit|remaining|reset</c>
/// with resets as RFC 3339 instants on the fake's clock, and a <c>Date</c> header on the same clock.
/// </summary>
internal sealed class AnthropicDialect(TimeProvider time) : IProviderDialect, IDialectForcedFailures
{
    public const int OverloadedStatus = 529;

    private const string Organization = "org-fakeprovider";

    public string? ReadApiKey(HttpRequest request)
    {
        var key = request.Headers["x-api-key"].ToString();
        return string.IsNullOrEmpty(key) ? null : key.Trim();
    }

    public IResult Unauthorized(bool keyMissing) =>
        Error(StatusCodes.Status401Unauthorized, "authentication_error", keyMissing ? "x-api-key header is required" : "invalid x-api-key");

    public IResult BadRequest(string message, string? param) =>
        Error(StatusCodes.Status400BadRequest, "invalid_request_error", message);

    public IResult Outage() => Error(OverloadedStatus, "overloaded_error", "Overloaded");

    public IResult QuotaExhausted() => Error(
        StatusCodes.Status400BadRequest,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.");

    public IResult ServerError(int status) => status == StatusCodes.Status503ServiceUnavailable
        ? Outage()
        : Error(status, "api_error", "Internal server error");

    public IResult RateLimited(RateLimitRejection rejection, string model)
    {
        var unit = rejection.Dimension switch
        {
            LimitDimension.Tokens => "tokens",
            LimitDimension.Concurrency => "concurrent requests",
            _ => "requests",
        };
        var per = rejection.Dimension == LimitDimension.Concurrency ? "" : rejection.PerSecondSlice ? " per second" : " per minute";
        var message = rejection.TooLarge
            ? string.Create(CultureInfo.InvariantCulture, $"This request would exceed the rate limit for your organization ({Organization}) of {rejection.Limit:N0} {unit}{per} on its own ({rejection.Requested:N0} requested). Please reduce the prompt length or the maximum tokens requested.")
            : string.Create(CultureInfo.InvariantCulture, $"This request would exceed the rate limit for your organization ({Organization}) of {rejection.Limit:N0} {unit}{per} for {model}. ") +
              "For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. " +
              "Please reduce the prompt length or the maximum tokens requested, or try again later.";
        return new RetryAfterResult(
            rejection.RetryAfter,
            Error(StatusCodes.Status429TooManyRequests, "rate_limit_error", message),
            withMilliseconds: false);
    }

    public void WriteRateLimitHeaders(HttpResponse response, RateLimitStatus status)
    {
        var now = time.GetUtcNow();
        var headers = response.Headers;
        headers.Date = now.ToString("R", CultureInfo.InvariantCulture);
        if (status.RequestLimit > 0)
        {
            headers["anthropic-ratelimit-requests-limit"] = status.RequestLimit.ToString(CultureInfo.InvariantCulture);
            headers["anthropic-ratelimit-requests-remaining"] = status.RequestsRemaining.ToString(CultureInfo.InvariantCulture);
            headers["anthropic-ratelimit-requests-reset"] = Rfc3339(now, status.RequestsReset);
        }

        if (status.TokenLimit > 0)
        {
            headers["anthropic-ratelimit-tokens-limit"] = status.TokenLimit.ToString(CultureInfo.InvariantCulture);
            headers["anthropic-ratelimit-tokens-remaining"] = status.TokensRemaining.ToString(CultureInfo.InvariantCulture);
            headers["anthropic-ratelimit-tokens-reset"] = Rfc3339(now, status.TokensReset);
        }
    }

    /// <summary><c>spend</c>: the 400 of a reached spend limit; <c>billing</c>: 402 <c>billing_error</c>.</summary>
    public IResult? Forced(string kind) => kind switch
    {
        "spend" => Error(
            StatusCodes.Status400BadRequest,
            "invalid_request_error",
            "You have reached your specified API usage limits. You will regain access on " +
            time.GetUtcNow().AddMonths(1).ToString("yyyy-MM-01 'at' 00:00 'UTC'", CultureInfo.InvariantCulture) + "."),
        "billing" => Error(StatusCodes.Status402PaymentRequired, "billing_error", "Your organization is out of credits."),
        _ => null,
    };

    /// <summary>The instant <paramref name="reset"/> from now, rounded up to the second, as Anthropic writes it.</summary>
    internal static string Rfc3339(DateTimeOffset now, TimeSpan reset)
    {
        var at = now + reset;
        var whole = new DateTimeOffset(at.Ticks - at.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        if (whole < at)
        {
            whole = whole.AddSeconds(1);
        }

        return whole.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static IResult Error(int status, string type, string message) => TypedResults.Json(
        new AnthropicErrorBody("error", new AnthropicError(type, message), OpenAIRequestFields.NewId("req_")),
        FakeProviderJson.Options,
        statusCode: status);
}
