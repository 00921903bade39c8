using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BatchAspire.Tests.Providers.Fakes;

/// <summary>
/// Anthropic's Messages API: <c>x-api-key</c> and <c>anthropic-version</c> required; errors as
/// <c>{"type":"error","error":{"type","message"}}</c>; <c>anthropic-ratelimit-*</c> headers with RFC 3339
/// resets on every answer; usage with <c>cache_read_input_tokens</c>/<c>cache_creation_input_tokens</c>
/// outside <c>input_tokens</c>, as Anthropic reports them.
/// </summary>
internal static class FakeAnthropicEndpoints
{
    public static readonly DateTimeOffset ResetBase = DateTimeOffset.Parse("2030-01-01T00:00:00Z", CultureInfo.InvariantCulture);

    public static void Map(WebApplication app, FakeLlmServer server) => app.MapPost("/v1/messages", (HttpContext c) => Messages(c, server));

    private static Task Messages(HttpContext c, FakeLlmServer server)
    {
        var body = (string)c.Items["body"]!;
        RateLimitHeaders(c);
        if (!FakeLlmServer.ValidKey(c.Request.Headers["x-api-key"])) return Error(c, 401, "authentication_error", "invalid x-api-key");
        if (c.Request.Headers["anthropic-version"] != "2023-06-01") return Error(c, 400, "invalid_request_error", "anthropic-version: header is required");
        switch (server.Failure(body))
        {
            case "429":
                c.Response.Headers["retry-after"] = "7";
                return Error(c, 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit");
            case "529": return Error(c, 529, "overloaded_error", "Overloaded");
            case "500": return Error(c, 500, "api_error", "Internal server error");
            case "400": return Error(c, 400, "invalid_request_error", "messages: at least one message is required");
            case "quota": return Error(c, 400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.");
            case "spend": return Error(c, 400, "invalid_request_error", "You have reached your specified API usage limits. You will regain access on 2030-02-01 at 00:00 UTC.");
            case "billing": return Error(c, 402, "billing_error", "Your organization is out of credits.");
            case "echo": return Error(c, 400, "invalid_request_error", "Rejected request with headers " + FakeLlmServer.AllHeaders(c));
        }
        var request = JsonDocument.Parse(body).RootElement;
        if (!request.TryGetProperty("max_tokens", out var maxTokens)) return Error(c, 400, "invalid_request_error", "max_tokens: Field required");
        var max = maxTokens.GetInt32();
        var cache = FakeLlmServer.Has(body, "cache");
        var fill = FakeLlmServer.Has(body, "fill");
        var output = cache ? 200 : fill ? max : Math.Min(5, max);
        var stopAtMax = fill || max <= 5;
        return FakeLlmServer.Json(c, 200, new
        {
            id = "msg_fake01",
            type = "message",
            role = "assistant",
            model = request.GetProperty("model").GetString(),
            content = new object[] { new { type = "thinking", thinking = "hidden", signature = "x" }, new { type = "text", text = "Hello" }, new { type = "text", text = " there" } },
            stop_reason = stopAtMax ? "max_tokens" : "end_turn",
            stop_sequence = (string?)null,
            usage = new
            {
                input_tokens = cache ? 600 : FakeLlmServer.Words(body),
                cache_creation_input_tokens = cache ? 100 : 0,
                cache_read_input_tokens = cache ? 300 : 0,
                output_tokens = output,
            },
        });
    }

    private static void RateLimitHeaders(HttpContext c)
    {
        c.Response.Headers.Date = ResetBase.ToString("R", CultureInfo.InvariantCulture);
        string At(int seconds) => ResetBase.AddSeconds(seconds).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        c.Response.Headers["anthropic-ratelimit-requests-limit"] = "50";
        c.Response.Headers["anthropic-ratelimit-requests-remaining"] = "49";
        c.Response.Headers["anthropic-ratelimit-requests-reset"] = At(2);
        c.Response.Headers["anthropic-ratelimit-tokens-limit"] = "100000";
        c.Response.Headers["anthropic-ratelimit-tokens-remaining"] = "99000";
        c.Response.Headers["anthropic-ratelimit-tokens-reset"] = At(3);
        c.Response.Headers["anthropic-ratelimit-input-tokens-limit"] = "80000";
        c.Response.Headers["anthropic-ratelimit-input-tokens-remaining"] = "79000";
        c.Response.Headers["anthropic-ratelimit-input-tokens-reset"] = At(4);
        c.Response.Headers["anthropic-ratelimit-output-tokens-limit"] = "16000";
        c.Response.Headers["anthropic-ratelimit-output-tokens-remaining"] = "15900";
        c.Response.Headers["anthropic-ratelimit-output-tokens-reset"] = At(5);
    }

    private static Task Error(HttpContext c, int status, string type, string message) =>
        FakeLlmServer.Json(c, status, new { type = "error", error = new { type, message }, request_id = "req_fake" });
}
