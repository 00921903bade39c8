using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers.OpenAI;

/// <summary>
/// Any OpenAI-compatible server (OpenAI, Groq, Together, vLLM, Ollama, …): POSTs the item's body to
/// <c>{BaseUrl}/{endpoint}</c> and classifies the answer. The key travels only in the Authorization header.
/// </summary>
public sealed class OpenAIProvider(string name, ProviderOptions options, IHttpClientFactory httpClients) : IProviderClient
{
    private readonly Uri _baseUrl = new(options.BaseUrl!.TrimEnd('/') + "/");

    public async Task<ProviderResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, EndpointPath(request.Url)))
        {
            Content = JsonContent(request.Body),
        };
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
        if (IsHeaderSafe(request.CustomId))
        {
            message.Headers.TryAddWithoutValidation("X-Client-Request-Id", request.CustomId);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await httpClients.CreateClient(ProviderRegistry.HttpClientName)
                .SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            return OpenAIResponseClassifier.Classify(response, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new ItemError("timeout", $"Provider '{name}' did not answer within {options.Timeout.TotalSeconds:0.#} s.");
            return new ProviderResponse(ProviderOutcome.Transient, null, null, Error: error);
        }
        catch (HttpRequestException ex)
        {
            // The message names the failure (connection refused, reset) but never a header, so no key can leak.
            var error = new ItemError("connection_error", $"Provider '{name}' could not be reached: {ex.HttpRequestError}.");
            return new ProviderResponse(ProviderOutcome.Transient, null, null, Error: error);
        }
    }

    /// <summary><c>/v1/chat/completions</c> → <c>chat/completions</c>, relative to the base URL (which carries the version).</summary>
    public static string EndpointPath(string url)
    {
        var path = url.TrimStart('/');
        return path.StartsWith("v1/", StringComparison.Ordinal) ? path[3..] : path;
    }

    private static ByteArrayContent JsonContent(JsonElement body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static bool IsHeaderSafe(string value) =>
        value.Length is > 0 and <= 256 && value.All(c => c is >= ' ' and <= '~');
}

/// <summary>The OpenAI wire format's outcomes, per DESIGN.md §7.</summary>
public static class OpenAIResponseClassifier
{
    public static ProviderResponse Classify(HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            var (usage, model) = ReadUsage(body);
            return new ProviderResponse(ProviderOutcome.Success, status, body, usage, ResponseModel: model,
                RateLimit: RateLimitSnapshot.FromHeaders(response.Headers));
        }

        var error = ReadError(body, status);
        var outcome = status switch
        {
            429 when error.Code == "insufficient_quota" => ProviderOutcome.QuotaExhausted,
            429 => ProviderOutcome.RateLimited,
            408 or 409 or >= 500 => ProviderOutcome.Transient,
            _ => ProviderOutcome.Permanent,
        };
        return new ProviderResponse(outcome, status, body, Error: error, RetryAfter: RetryAfter(response.Headers),
            RateLimit: RateLimitSnapshot.FromHeaders(response.Headers));
    }

    /// <summary><c>retry-after-ms</c> (OpenAI, precise) wins over <c>retry-after</c> (seconds or HTTP date).</summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers)
    {
        if (headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var millis))
        {
            return TimeSpan.FromMilliseconds(millis);
        }
        if (headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta) return delta;
            if (retryAfter.Date is { } date) return date - DateTimeOffset.UtcNow;
        }
        return null;
    }

    private static (TokenUsage?, string?) ReadUsage(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            if (!root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object) return (null, model);
            long Get(string property) => usage.TryGetProperty(property, out var v) && v.TryGetInt64(out var n) ? n : 0;
            // Chat completions and embeddings say prompt/completion; the Responses API says input/output.
            var input = Get("prompt_tokens") + Get("input_tokens");
            var output = Get("completion_tokens") + Get("output_tokens");
            return (new TokenUsage(input, output), model);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static ItemError ReadError(byte[] body, int status)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                var type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                var message = error.TryGetProperty("message", out var msg) && msg.ValueKind == JsonValueKind.String ? msg.GetString() : null;
                return new ItemError(code ?? type ?? $"http_{status}", message ?? $"The provider answered HTTP {status}.");
            }
        }
        catch (JsonException)
        {
        }
        return new ItemError($"http_{status}", $"The provider answered HTTP {status} ({(HttpStatusCode)status}).");
    }
}
