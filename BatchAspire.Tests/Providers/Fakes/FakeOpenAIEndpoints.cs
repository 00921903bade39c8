using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BatchAspire.Tests.Providers.Fakes;

/// <summary>OpenAI's chat completions, embeddings and images (Bearer key), and Azure's deployment urls (api-key header).</summary>
internal static class FakeOpenAIEndpoints
{
    public static void Map(WebApplication app, FakeLlmServer server)
    {
        app.MapPost("/v1/chat/completions", (HttpContext c) => Chat(c, server, c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal) && FakeLlmServer.ValidKey(c.Request.Headers.Authorization.ToString()[7..])));
        app.MapPost("/openai/deployments/{deployment}/chat/completions", (HttpContext c, string deployment) =>
            Chat(c, server, FakeLlmServer.ValidKey(c.Request.Headers["api-key"]) && c.Request.Query.ContainsKey("api-version"), deployment));
        app.MapPost("/v1/embeddings", (HttpContext c) => FakeLlmServer.Json(c, 200, new
        {
            @object = "list",
            data = new[] { new { @object = "embedding", index = 0, embedding = new[] { 0.1, 0.2 } } },
            model = "text-embedding-3-small",
            usage = new { prompt_tokens = 8, total_tokens = 8 },
        }));
        app.MapPost("/v1/images/generations", (HttpContext c) => FakeLlmServer.Json(c, 200, new
        {
            created = 1,
            data = new[] { new { b64_json = "aW1hZ2U=" } },
            usage = new { input_tokens = 12, output_tokens = 4160, total_tokens = 4172, input_tokens_details = new { text_tokens = 12, image_tokens = 0 } },
        }));
    }

    private static Task Chat(HttpContext c, FakeLlmServer server, bool authorized, string? deployment = null)
    {
        var body = (string)c.Items["body"]!;
        RateLimitHeaders(c);
        if (!authorized) return Error(c, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
        switch (server.Failure(body))
        {
            case "429":
                c.Response.Headers["retry-after-ms"] = "1500";
                return Error(c, 429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded");
            case "quota": return Error(c, 429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota");
            case "500" or "529": return Error(c, 500, "The server had an error.", "server_error", null);
            case "400": return Error(c, 400, "Invalid request.", "invalid_request_error", null);
            case "echo": return Error(c, 400, "Rejected request with headers " + FakeLlmServer.AllHeaders(c), "server_error", null);
        }
        var request = JsonDocument.Parse(body).RootElement;
        var model = deployment ?? request.GetProperty("model").GetString();
        var max = request.TryGetProperty("max_completion_tokens", out var m) || request.TryGetProperty("max_tokens", out m) ? m.GetInt32() : 5;
        var cache = FakeLlmServer.Has(body, "cache");
        return FakeLlmServer.Json(c, 200, new
        {
            id = "chatcmpl-fake",
            @object = "chat.completion",
            created = 1,
            model,
            choices = new[] { new { index = 0, message = new { role = "assistant", content = "Echo" }, finish_reason = "stop" } },
            usage = new
            {
                prompt_tokens = cache ? 1000 : FakeLlmServer.Words(request.GetProperty("messages").GetRawText()),
                completion_tokens = cache ? 200 : FakeLlmServer.Has(body, "fill") ? max : Math.Min(5, max),
                total_tokens = 0,
                prompt_tokens_details = new { cached_tokens = cache ? 400 : 0 },
                completion_tokens_details = new { reasoning_tokens = cache ? 50 : 0 },
            },
        });
    }

    private static void RateLimitHeaders(HttpContext c)
    {
        c.Response.Headers["x-ratelimit-limit-requests"] = "500";
        c.Response.Headers["x-ratelimit-remaining-requests"] = "499";
        c.Response.Headers["x-ratelimit-reset-requests"] = "120ms";
        c.Response.Headers["x-ratelimit-limit-tokens"] = "30000";
        c.Response.Headers["x-ratelimit-remaining-tokens"] = "29000";
        c.Response.Headers["x-ratelimit-reset-tokens"] = "1m2.5s";
    }

    private static Task Error(HttpContext c, int status, string message, string type, string? code) =>
        FakeLlmServer.Json(c, status, new { error = new { message, type, param = (string?)null, code } });
}
