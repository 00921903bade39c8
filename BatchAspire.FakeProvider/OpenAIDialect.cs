using System.Globalization;

namespace BatchAspire.FakeProvider;

/// <summary>OpenAI's spelling of keys, errors and rate-limit headers.</summary>
internal sealed class OpenAIDialect : IProviderDialect
{
    public static readonly OpenAIDialect Instance = new();

    private const string Organization = "org-fakeprovider";
    private const string RateLimitsDocs = "Visit https://platform.openai.com/account/rate-limits to learn more.";

    public string? ReadApiKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        return authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            ? authorization[bearer.Length..].Trim()
            : null;
    }

    public IResult Unauthorized(bool keyMissing) => Error(
        StatusCodes.Status401Unauthorized,
        keyMissing
            ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            : "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key");

    public IResult BadRequest(string message, string? param) =>
        Error(StatusCodes.Status400BadRequest, message, "invalid_request_error", null, param);

    public IResult Outage() => Error(
        StatusCodes.Status503ServiceUnavailable,
        "The server is currently unavailable (simulated outage). Please retry your request after a brief wait.",
        "server_error",
        null);

    public IResult QuotaExhausted() => Error(
        StatusCodes.Status429TooManyRequests,
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "insufficient_quota",
        "insufficient_quota");

    public IResult ServerError(int status) => Error(
        status,
        status == StatusCodes.Status503ServiceUnavailable
            ? "The engine is currently overloaded, please try again later."
            : "The server had an error while processing your request. Sorry about that!",
        "server_error",
        null);

    public IResult RateLimited(RateLimitRejection rejection, string model)
    {
        var type = rejection.Dimension == LimitDimension.Tokens ? "tokens" : "requests";
        return new RetryAfterResult(
            rejection.RetryAfter,
            Error(StatusCodes.Status429TooManyRequests, RateLimitMessage(rejection, model), type, "rate_limit_exceeded"));
    }

    public void WriteRateLimitHeaders(HttpResponse response, RateLimitStatus status)
    {
        var headers = response.Headers;
        if (status.RequestLimit > 0)
        {
            headers["x-ratelimit-limit-requests"] = status.RequestLimit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = status.RequestsRemaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = OpenAIDuration.Format(status.RequestsReset);
        }

        if (status.TokenLimit > 0)
        {
            headers["x-ratelimit-limit-tokens"] = status.TokenLimit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = status.TokensRemaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = OpenAIDuration.Format(status.TokensReset);
        }
    }

    private static string RateLimitMessage(RateLimitRejection r, string model)
    {
        var where = $"for {model} in organization {Organization}";
        var tryAgain = r.RetryAfter is { } wait ? $" Please try again in {OpenAIDuration.Format(wait)}." : "";
        if (r.Dimension == LimitDimension.Concurrency)
        {
            return $"Too many concurrent requests {where}: Limit {r.Limit}, In flight {r.Used}.{tryAgain}";
        }

        var scope = r.Dimension == LimitDimension.Tokens ? "tokens per min (TPM)" : "requests per min (RPM)";
        if (r.TooLarge)
        {
            return $"Request too large {where} on {scope}: Limit {r.Limit}, Requested {r.Requested}. " +
                $"The input or output tokens must be reduced in order to run successfully. {RateLimitsDocs}";
        }

        var slice = r.PerSecondSlice ? ", enforced per 1s slice" : "";
        return $"Rate limit reached {where} on {scope}{slice}: Limit {r.Limit}, Used {r.Used}, Requested {r.Requested}.{tryAgain} {RateLimitsDocs}";
    }

    private static IResult Error(int status, string message, string type, string? code, string? param = null) =>
        TypedResults.Json(new OpenAIErrorBody(new OpenAIError(message, type, param, code)), FakeProviderJson.Options, statusCode: status);
}
