using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Gemini's spelling: <c>x-goog-api-key</c> (or <c>?key=</c>); errors <c>{"error":{"code","message","status","details"}}</c>;
/// limits as 429 <c>RESOURCE_EXHAUSTED</c> with a <c>google.rpc.QuotaFailure</c> (per-minute quota ids) and a
/// <c>google.rpc.RetryInfo</c> <c>retryDelay</c> in whole seconds rounded up; quota as a per-day QuotaFailure whose
/// retryDelay runs to the next UTC midnight; outage and 502/503 faults as 503 <c>UNAVAILABLE</c>. Gemini sends no
/// rate-limit headers, so neither does this dialect.
/// </summary>
internal sealed class GeminiDialect(TimeProvider time, string model) : IProviderDialect
{
    private const string QuotaFailureType = "type.googleapis.com/google.rpc.QuotaFailure";
    private const string RetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";
    private const string QuotaMessage =
        "You exceeded your current quota, please check your plan and billing details. " +
        "For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string? ReadApiKey(HttpRequest request)
    {
        var key = request.Headers["x-goog-api-key"].ToString();
        if (string.IsNullOrEmpty(key))
        {
            key = request.Query["key"].ToString();
        }

        return string.IsNullOrEmpty(key) ? null : key.Trim();
    }

    public IResult Unauthorized(bool keyMissing) => keyMissing
        ? Error(
            StatusCodes.Status403Forbidden,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
        : Error(
            StatusCodes.Status400BadRequest,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
                ["reason"] = "API_KEY_INVALID",
                ["domain"] = "googleapis.com",
                ["metadata"] = new JsonObject { ["service"] = "generativelanguage.googleapis.com" },
            });

    public IResult BadRequest(string message, string? param) =>
        Error(StatusCodes.Status400BadRequest, "INVALID_ARGUMENT", message);

    public IResult Outage() =>
        Error(StatusCodes.Status503ServiceUnavailable, "UNAVAILABLE", "The model is overloaded. Please try again later.");

    public IResult QuotaExhausted()
    {
        var now = time.GetUtcNow();
        var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        return Error(
            StatusCodes.Status429TooManyRequests,
            "RESOURCE_EXHAUSTED",
            QuotaMessage,
            QuotaFailure("generativelanguage.googleapis.com/generate_content_free_tier_requests", "GenerateRequestsPerDayPerProjectPerModel-FreeTier", null),
            RetryInfo(midnight - now));
    }

    public IResult ServerError(int status) => status == StatusCodes.Status500InternalServerError
        ? Error(status, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting")
        : Outage();

    public IResult RateLimited(RateLimitRejection rejection, string model)
    {
        var (metric, quotaId) = rejection.Dimension switch
        {
            LimitDimension.Tokens => ("generativelanguage.googleapis.com/generate_content_input_token_count", "GenerateContentInputTokensPerModelPerMinute"),
            LimitDimension.Concurrency => ("generativelanguage.googleapis.com/generate_content_concurrent_requests", "GenerateRequestsConcurrentPerProjectPerModel"),
            _ => ("generativelanguage.googleapis.com/generate_content_requests", "GenerateRequestsPerMinutePerProjectPerModel"),
        };
        var details = new List<JsonNode> { QuotaFailure(metric, quotaId, rejection.Limit) };
        if (rejection.RetryAfter is { } wait)
        {
            details.Add(RetryInfo(wait));
        }

        return Error(StatusCodes.Status429TooManyRequests, "RESOURCE_EXHAUSTED", QuotaMessage, [.. details]);
    }

    public void WriteRateLimitHeaders(HttpResponse response, RateLimitStatus status)
    {
    }

    /// <summary>A protobuf Duration as Gemini writes retryDelay: whole seconds, rounded up, e.g. <c>"17s"</c>.</summary>
    internal static string Duration(TimeSpan wait) =>
        Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";

    private JsonObject QuotaFailure(string metric, string quotaId, long? value)
    {
        var violation = new JsonObject
        {
            ["quotaMetric"] = metric,
            ["quotaId"] = quotaId,
            ["quotaDimensions"] = new JsonObject { ["location"] = "global", ["model"] = model },
        };
        if (value is { } v)
        {
            violation["quotaValue"] = v.ToString(CultureInfo.InvariantCulture);
        }

        return new JsonObject { ["@type"] = QuotaFailureType, ["violations"] = new JsonArray(violation) };
    }

    private static JsonObject RetryInfo(TimeSpan wait) => new() { ["@type"] = RetryInfoType, ["retryDelay"] = Duration(wait) };

    private static IResult Error(int status, string grpcStatus, string message, params JsonNode[] details)
    {
        var error = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = grpcStatus };
        if (details.Length > 0)
        {
            error["details"] = new JsonArray(details);
        }

        return TypedResults.Json(new JsonObject { ["error"] = error }, Json, statusCode: status);
    }
}
