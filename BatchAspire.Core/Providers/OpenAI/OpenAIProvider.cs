using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers.OpenAI;

/// <summary>
/// Any OpenAI-compatible server (OpenAI, Groq, Together, vLLM, Ollama, …): POSTs the item's body to
/// <c>{BaseUrl}/{endpoint}</c> with the key as a Bearer token. As type <c>azure-openai</c>, POSTs to
/// <c>{BaseUrl}/openai/deployments/{deployment}/{endpoint}?api-version={ApiVersion}</c> with the key in the
/// <c>api-key</c> header; the deployment is the model's entry in <c>Deployments</c>, or the model name.
/// </summary>
public sealed class OpenAIProvider(string name, ProviderOptions options, IHttpClientFactory httpClients) : IProviderClient
{
    private readonly Uri _baseUrl = new(options.BaseUrl!.TrimEnd('/') + "/");
    private readonly bool _azure = string.Equals(options.Type, ProviderTypes.AzureOpenAI, StringComparison.OrdinalIgnoreCase);

    public async Task<ProviderResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, RequestUri(request))
        {
            Content = ProviderHttp.Json(JsonSerializer.SerializeToUtf8Bytes(request.Body)),
        };
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            if (_azure) message.Headers.TryAddWithoutValidation("api-key", options.ApiKey);
            else message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
        if (ProviderHttp.IsHeaderSafe(request.CustomId))
        {
            message.Headers.TryAddWithoutValidation("X-Client-Request-Id", request.CustomId);
        }

        var (answer, failure) = await ProviderHttp.SendAsync(httpClients, message, name, options, cancellationToken);
        if (answer is null) return failure!;
        using var response = answer.Response;
        return OpenAIResponseClassifier.Classify(response, answer.Body);
    }

    public Uri RequestUri(ProviderRequest request)
    {
        var endpoint = EndpointPath(request.Url);
        if (!_azure) return new Uri(_baseUrl, endpoint);
        var deployment = options.Deployments.TryGetValue(request.Route.Model, out var d) ? d : request.Route.Model;
        return new Uri(_baseUrl, $"openai/deployments/{Uri.EscapeDataString(deployment)}/{endpoint}?api-version={Uri.EscapeDataString(options.ApiVersion ?? "")}");
    }

    /// <summary><c>/v1/chat/completions</c> → <c>chat/completions</c>, relative to the base URL (which carries the version).</summary>
    public static string EndpointPath(string url)
    {
        var path = url.TrimStart('/');
        return path.StartsWith("v1/", StringComparison.Ordinal) ? path[3..] : path;
    }
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
            return new ProviderResponse(ProviderOutcome.Success, status, body, usage, ResponseModel: model, Limits: RateLimitSnapshot.FromHeaders(response.Headers));
        }

        var error = ReadError(body, status);
        var outcome = status switch
        {
            429 when error.Code == "insufficient_quota" => ProviderOutcome.QuotaExhausted,
            429 => ProviderOutcome.RateLimited,
            408 or 409 or >= 500 => ProviderOutcome.Transient,
            _ => ProviderOutcome.Permanent,
        };
        return new ProviderResponse(outcome, status, body, Error: error, RetryAfter: RetryAfter(response.Headers), Limits: RateLimitSnapshot.FromHeaders(response.Headers));
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
            // Chat completions and embeddings say prompt/completion; the Responses API and images say input/output.
            return (root.TryGetProperty("usage", out var usage) ? UsageNormalisation.FromOpenAI(usage) : null, model);
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
