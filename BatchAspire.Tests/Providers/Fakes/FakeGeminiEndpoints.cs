using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BatchAspire.Tests.Providers.Fakes;

/// <summary>
/// Gemini's generateContent: <c>x-goog-api-key</c> required; errors as
/// <c>{"error":{"code","message","status","details":[…]}}</c> with <c>google.rpc.QuotaFailure</c> violations and
/// <c>google.rpc.RetryInfo</c> retryDelay on 429; usageMetadata whose promptTokenCount includes
/// cachedContentTokenCount and whose candidatesTokenCount excludes thoughtsTokenCount.
/// </summary>
internal static class FakeGeminiEndpoints
{
    public static void Map(WebApplication app, FakeLlmServer server) =>
        app.MapPost("/v1beta/models/{modelAction}", (HttpContext c, string modelAction) => Generate(c, server, modelAction));

    private static Task Generate(HttpContext c, FakeLlmServer server, string modelAction)
    {
        var body = (string)c.Items["body"]!;
        if (!modelAction.EndsWith(":generateContent", StringComparison.Ordinal)) return Error(c, 404, "NOT_FOUND", "Unknown method", []);
        var model = modelAction[..^":generateContent".Length];
        if (!FakeLlmServer.ValidKey(c.Request.Headers["x-goog-api-key"]))
        {
            return Error(c, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", []);
        }
        switch (server.Failure(body))
        {
            case "429" or "minute":
                return Error(c, 429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.",
                [Quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", model), new Dictionary<string, object> { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = "17s" }]);
            case "quota":
                return Error(c, 429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.",
                [Quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier", model), new Dictionary<string, object> { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = "3600s" }]);
            case "500" or "529": return Error(c, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.", []);
            case "400": return Error(c, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.", []);
            case "echo": return Error(c, 400, "INVALID_ARGUMENT", "Rejected request with headers " + FakeLlmServer.AllHeaders(c), []);
        }
        var request = JsonDocument.Parse(body).RootElement;
        if (request.TryGetProperty("model", out _)) return Error(c, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"model\": Cannot find field.", []);
        var max = request.TryGetProperty("generationConfig", out var config) && config.TryGetProperty("maxOutputTokens", out var m) ? m.GetInt32() : 8192;
        var cache = FakeLlmServer.Has(body, "cache");
        var fill = FakeLlmServer.Has(body, "fill");
        var candidates = cache ? 150 : fill ? max : Math.Min(5, max);
        return FakeLlmServer.Json(c, 200, new
        {
            candidates = new[]
            {
                new
                {
                    content = new { role = "model", parts = new object[] { new { text = "thinking…", thought = true }, new { text = "Bonjour" }, new { text = " monde" } } },
                    finishReason = fill || max <= 5 ? "MAX_TOKENS" : "STOP",
                    index = 0,
                },
            },
            usageMetadata = new
            {
                promptTokenCount = cache ? 1000 : FakeLlmServer.Words(body),
                cachedContentTokenCount = cache ? 400 : 0,
                candidatesTokenCount = candidates,
                thoughtsTokenCount = cache ? 50 : 0,
                totalTokenCount = 0,
            },
            modelVersion = model,
            responseId = "resp-fake",
        });
    }

    private static Dictionary<string, object> Quota(string quotaId, string model) => new()
    {
        ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
        ["violations"] = new[]
        {
            new Dictionary<string, object>
            {
                ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                ["quotaId"] = quotaId,
                ["quotaDimensions"] = new Dictionary<string, string> { ["location"] = "global", ["model"] = model },
                ["quotaValue"] = "10",
            },
        },
    };

    private static Task Error(HttpContext c, int status, string grpcStatus, string message, object[] details) =>
        FakeLlmServer.Json(c, status, new { error = new { code = status, message, status = grpcStatus, details } });
}
