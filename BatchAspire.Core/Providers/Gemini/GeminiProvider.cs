using System.Buffers;
using System.Globalization;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers.Translation;

namespace BatchAspire.Core.Providers.Gemini;

/// <summary>
/// The Gemini API: POST <c>{BaseUrl}/models/{model}:generateContent</c> with the key in <c>x-goog-api-key</c>
/// (never in the query string, where proxies log it). An item on <c>:generateContent</c> is sent as it is
/// (less the <c>model</c> field, which Gemini takes from the url); an OpenAI chat-completions item is
/// translated to generateContent and its answer back to a <c>chat.completion</c>.
/// </summary>
public sealed class GeminiProvider(string name, ProviderOptions options, IHttpClientFactory httpClients) : IProviderClient
{
    private readonly string _baseUrl = options.BaseUrl!.TrimEnd('/');

    public async Task<ProviderResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var native = request.Url == ProviderEndpoints.GeminiGenerateContent;
        byte[] body;
        try
        {
            body = native ? WithoutModel(request.Body) : ChatToGemini.Translate(request.Body);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException or FormatException)
        {
            return new(ProviderOutcome.Permanent, null, null, Error: new ItemError("untranslatable_request", $"The request could not be translated to the Gemini API: {ex.Message}"));
        }

        var uri = new Uri($"{_baseUrl}/models/{Uri.EscapeDataString(request.Route.Model)}:generateContent");
        using var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = ProviderHttp.Json(body) };
        if (!string.IsNullOrEmpty(options.ApiKey)) message.Headers.TryAddWithoutValidation("x-goog-api-key", options.ApiKey);

        var (answer, failure) = await ProviderHttp.SendAsync(httpClients, message, name, options, cancellationToken);
        if (answer is null) return failure!;
        using var response = answer.Response;
        var classified = GeminiResponseClassifier.Classify(response, answer.Body);
        if (classified.Outcome != ProviderOutcome.Success || native) return classified;
        try
        {
            return classified with { Body = GeminiToChat.Translate(answer.Body, classified.Usage, request.Route.Model) };
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException)
        {
            return classified with { Outcome = ProviderOutcome.Permanent, Error = new ItemError("untranslatable_response", $"The Gemini answer could not be translated to a chat completion: {ex.Message}") };
        }
    }

    private static byte[] WithoutModel(JsonElement body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var property in body.EnumerateObject())
            {
                if (!property.NameEquals("model")) property.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// Gemini's outcomes (DESIGN.md §7). A 429 <c>RESOURCE_EXHAUSTED</c> whose <c>google.rpc.QuotaFailure</c>
/// names a per-day quota (<c>quotaId</c> such as <c>GenerateRequestsPerDayPerProjectPerModel-FreeTier</c>) is
/// quota exhausted: retrying today cannot help. Any other 429 is rate limited, waiting the
/// <c>google.rpc.RetryInfo</c> <c>retryDelay</c> (<c>"17s"</c>) when given. 500, 503 <c>UNAVAILABLE</c> and
/// 504 <c>DEADLINE_EXCEEDED</c> are transient; other 4xx permanent.
/// </summary>
public static class GeminiResponseClassifier
{
    private const string QuotaFailureType = "type.googleapis.com/google.rpc.QuotaFailure";
    private const string RetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";

    public static ProviderResponse Classify(HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            var (usage, model) = ReadUsage(body);
            return new ProviderResponse(ProviderOutcome.Success, status, body, usage, ResponseModel: model);
        }

        var error = ReadError(body);
        var perDay = error.QuotaIds.Any(id => id.Contains("PerDay", StringComparison.OrdinalIgnoreCase));
        var outcome = status switch
        {
            429 when perDay => ProviderOutcome.QuotaExhausted,
            429 => ProviderOutcome.RateLimited,
            408 or 409 or >= 500 => ProviderOutcome.Transient,
            _ => ProviderOutcome.Permanent,
        };
        var code = outcome == ProviderOutcome.QuotaExhausted ? "insufficient_quota" : error.Status?.ToLowerInvariant() ?? $"http_{status}";
        var message = error.Message ?? $"Gemini answered HTTP {status}.";
        if (perDay) message += $" (quota: {string.Join(", ", error.QuotaIds.Where(id => id.Contains("PerDay", StringComparison.OrdinalIgnoreCase)))})";
        return new ProviderResponse(outcome, status, body, Error: new ItemError(code, message),
            RetryAfter: error.RetryDelay ?? OpenAI.OpenAIResponseClassifier.RetryAfter(response.Headers));
    }

    /// <summary>A protobuf Duration in JSON: <c>"17s"</c>, <c>"0.5s"</c>, <c>"1.250s"</c>.</summary>
    public static TimeSpan? ParseDuration(string? text) =>
        text is { Length: > 1 } && text.EndsWith('s')
        && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static (TokenUsage?, string?) ReadUsage(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var model = root.TryGetProperty("modelVersion", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (root.TryGetProperty("usageMetadata", out var usage) ? UsageNormalisation.FromGemini(usage) : null, model);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private sealed record GeminiError(string? Status, string? Message, List<string> QuotaIds, TimeSpan? RetryDelay);

    /// <summary><c>{"error":{"code","message","status","details":[{"@type":…QuotaFailure,"violations":[{"quotaId"}]},{"@type":…RetryInfo,"retryDelay"}]}}</c>.</summary>
    private static GeminiError ReadError(byte[] body)
    {
        var ids = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(body);
            // Some proxies wrap the error in a one-element array.
            var root = doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() > 0 ? doc.RootElement[0] : doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return new(null, null, ids, null);
            }
            TimeSpan? delay = null;
            if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var detail in details.EnumerateArray())
                {
                    var type = detail.TryGetProperty("@type", out var t) ? t.GetString() : null;
                    if (type == RetryInfoType && detail.TryGetProperty("retryDelay", out var d)) delay = ParseDuration(d.GetString());
                    if (type == QuotaFailureType && detail.TryGetProperty("violations", out var violations) && violations.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var v in violations.EnumerateArray())
                        {
                            if (v.TryGetProperty("quotaId", out var id) && id.ValueKind == JsonValueKind.String) ids.Add(id.GetString()!);
                        }
                    }
                }
            }
            return new(
                error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null,
                error.TryGetProperty("message", out var msg) && msg.ValueKind == JsonValueKind.String ? msg.GetString() : null,
                ids, delay);
        }
        catch (JsonException)
        {
            return new(null, null, ids, null);
        }
    }
}
