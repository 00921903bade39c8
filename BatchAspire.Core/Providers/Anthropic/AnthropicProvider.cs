using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers.Translation;

namespace BatchAspire.Core.Providers.Anthropic;

/// <summary>
/// The Anthropic Messages API: POST <c>{BaseUrl}/messages</c> with <c>x-api-key</c> and
/// <c>anthropic-version</c>. An item on <c>/v1/messages</c> is sent as it is; an OpenAI chat-completions item
/// is translated to a Messages request and its answer back to a <c>chat.completion</c>.
/// </summary>
public sealed class AnthropicProvider(string name, ProviderOptions options, IHttpClientFactory httpClients) : IProviderClient
{
    private readonly Uri _messages = new(options.BaseUrl!.TrimEnd('/') + "/messages");

    public async Task<ProviderResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var native = request.Url == ProviderEndpoints.AnthropicMessages;
        byte[] body;
        try
        {
            body = native ? JsonSerializer.SerializeToUtf8Bytes(request.Body) : ChatToAnthropic.Translate(request.Body, request.Route.Model, options.DefaultMaxTokens);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException or FormatException)
        {
            return Untranslatable(ex);
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, _messages) { Content = ProviderHttp.Json(body) };
        if (!string.IsNullOrEmpty(options.ApiKey)) message.Headers.TryAddWithoutValidation("x-api-key", options.ApiKey);
        message.Headers.TryAddWithoutValidation("anthropic-version", options.ApiVersion ?? "2023-06-01");

        var (answer, failure) = await ProviderHttp.SendAsync(httpClients, message, name, options, cancellationToken);
        if (answer is null) return failure!;
        using var response = answer.Response;
        var classified = AnthropicResponseClassifier.Classify(response, answer.Body);
        if (classified.Outcome != ProviderOutcome.Success || native) return classified;
        try
        {
            return classified with { Body = AnthropicToChat.Translate(answer.Body, classified.Usage, request.Route.Model) };
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException)
        {
            return classified with { Outcome = ProviderOutcome.Permanent, Error = new ItemError("untranslatable_response", $"The Anthropic answer could not be translated to a chat completion: {ex.Message}") };
        }
    }

    private static ProviderResponse Untranslatable(Exception ex) =>
        new(ProviderOutcome.Permanent, null, null, Error: new ItemError("untranslatable_request", $"The request could not be translated to the Anthropic Messages API: {ex.Message}"));
}

/// <summary>
/// Anthropic's outcomes (DESIGN.md §7): 429 <c>rate_limit_error</c> → rate limited (<c>retry-after</c>);
/// 529 <c>overloaded_error</c>, 500 <c>api_error</c>, 504 <c>timeout_error</c> → transient; 402
/// <c>billing_error</c>, and the 400s Anthropic sends when credit runs out ("Your credit balance is too low…")
/// or a spend limit is reached ("You have reached your specified API usage limits…") → quota exhausted.
/// </summary>
public static class AnthropicResponseClassifier
{
    public const string QuotaCode = "insufficient_quota";

    public static ProviderResponse Classify(HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        var limits = RateLimitSnapshot.FromAnthropic(response.Headers);
        if (response.IsSuccessStatusCode)
        {
            var (usage, model) = ReadUsage(body);
            return new ProviderResponse(ProviderOutcome.Success, status, body, usage, ResponseModel: model, Limits: limits);
        }

        var (type, message) = ReadError(body);
        var quota = status == 402 || type == "billing_error" || (status == 400 && IsQuotaMessage(message));
        var outcome = quota ? ProviderOutcome.QuotaExhausted : status switch
        {
            429 => ProviderOutcome.RateLimited,
            408 or 409 or >= 500 => ProviderOutcome.Transient,
            _ => ProviderOutcome.Permanent,
        };
        var error = new ItemError(quota ? QuotaCode : type ?? $"http_{status}", message ?? $"Anthropic answered HTTP {status}.");
        return new ProviderResponse(outcome, status, body, Error: error, RetryAfter: OpenAI.OpenAIResponseClassifier.RetryAfter(response.Headers), Limits: limits);
    }

    private static bool IsQuotaMessage(string? message) =>
        message is not null
        && (message.Contains("credit balance is too low", StringComparison.OrdinalIgnoreCase)
            || message.Contains("reached your specified API usage limits", StringComparison.OrdinalIgnoreCase));

    private static (TokenUsage?, string?) ReadUsage(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (root.TryGetProperty("usage", out var usage) ? UsageNormalisation.FromAnthropic(usage) : null, model);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary><c>{"type":"error","error":{"type","message"}}</c>.</summary>
    private static (string? Type, string? Message) ReadError(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return (error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null,
                    error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null);
            }
        }
        catch (JsonException)
        {
        }
        return (null, null);
    }
}
