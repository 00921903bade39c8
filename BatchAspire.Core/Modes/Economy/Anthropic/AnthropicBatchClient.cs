using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Providers.Anthropic;
using BatchAspire.Core.Providers.Translation;

namespace BatchAspire.Core.Modes.Economy.Anthropic;

/// <summary>
/// Anthropic's Message Batches API: <c>POST {BaseUrl}/messages/batches</c> with
/// <c>{"requests":[{"custom_id","params":{Messages request}}]}</c>, polled with <c>GET /messages/batches/{id}</c>
/// until <c>processing_status</c> is <c>ended</c>, results as JSONL from its <c>results_url</c>, cancelled with
/// <c>POST /messages/batches/{id}/cancel</c>. Anthropic's custom_id allows only 64 of <c>[a-zA-Z0-9_-]</c>, so each
/// request is named <c>r{position}</c> and its result mapped back by position. Chat-completions items are
/// translated to Messages requests and their answers back to <c>chat.completion</c>; <c>/v1/messages</c> items pass through.
/// </summary>
public sealed class AnthropicBatchClient(string name, ProviderOptions options, IHttpClientFactory httpClients) : IProviderBatchClient
{
    private const string Prefix = "r";
    private readonly Uri _baseUrl = new(options.BaseUrl!.TrimEnd('/') + "/");

    public ProviderBatchLimits Limits { get; } = new(100_000, 256L * 1024 * 1024);

    public async Task<BatchSubmitResult> SubmitAsync(string jobId, int chunk, IReadOnlyList<StoredItem> items, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("requests");
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                byte[] body;
                try
                {
                    body = item.Url == ProviderEndpoints.AnthropicMessages
                        ? JsonSerializer.SerializeToUtf8Bytes(item.Body)
                        : ChatToAnthropic.Translate(item.Body, item.Model, options.DefaultMaxTokens);
                }
                catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException or FormatException)
                {
                    return new(null, new BatchRefusal(BatchRefusalKind.Rejected, null,
                        new ItemError("untranslatable_request", $"Item '{item.CustomId}' could not be translated to the Anthropic Messages API: {ex.Message}")));
                }
                w.WriteStartObject();
                w.WriteString("custom_id", Prefix + i.ToString(CultureInfo.InvariantCulture));
                w.WritePropertyName("params");
                w.WriteRawValue(body, skipInputValidation: true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var (batch, refusal) = await SendAsync(HttpMethod.Post, "messages/batches", ProviderHttp.Json(buffer.ToArray()), cancellationToken);
        return refusal is not null ? new(null, refusal) : new(batch!.Value.GetProperty("id").GetString(), null);
    }

    public async Task<BatchPollResult> PollAsync(string batchId, CancellationToken cancellationToken)
    {
        var (batch, refusal) = await SendAsync(HttpMethod.Get, $"messages/batches/{Uri.EscapeDataString(batchId)}", null, cancellationToken);
        if (refusal is not null) return new(batchId, "unknown", false, null, null, null, refusal);
        var b = batch!.Value;
        var status = Str(b, "processing_status") ?? "unknown";
        var ended = status == "ended";
        // Anthropic lists every request in the results (canceled and expired ones too); only a missing line needs a reason.
        var reason = Str(b, "cancel_initiated_at") is not null
            ? new ItemError("batch_cancelled", $"The provider batch {batchId} was cancelled before this item was processed.")
            : new ItemError("missing_result", $"The provider batch {batchId} ended without a result for this item.");
        return new(batchId, status, ended, ended ? reason : null, Str(b, "results_url"), null);
    }

    public async IAsyncEnumerable<BatchItemResult> ResultsAsync(BatchPollResult ended, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (ended.OutputRef is null) yield break;
        using var message = Request(HttpMethod.Get, ended.OutputRef, null);
        using var response = await httpClients.CreateClient(ProviderRegistry.HttpClientName)
            .SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Provider '{name}' answered {(int)response.StatusCode} for the results of batch {ended.BatchId}.", null, response.StatusCode);
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0) yield return ParseLine(ProviderHttp.Redact(line, options.ApiKey));
        }
    }

    public async Task CancelAsync(string batchId, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Post, $"messages/batches/{Uri.EscapeDataString(batchId)}/cancel", null, cancellationToken);

    public BatchItemResult ForItem(StoredItem item, BatchItemResult result)
    {
        if (!result.Succeeded || result.Body is null || item.Url == ProviderEndpoints.AnthropicMessages) return result;
        try
        {
            return result with { Body = AnthropicToChat.Translate(result.Body, result.Usage, item.Model) };
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException)
        {
            return result with { Succeeded = false, Error = new ItemError("untranslatable_response", $"The Anthropic answer could not be translated to a chat completion: {ex.Message}") };
        }
    }

    /// <summary>
    /// One results line: <c>{"custom_id","result":{"type":"succeeded","message"}|{"type":"errored","error":{"type":"error","error":{"type","message"}}}
    /// |{"type":"canceled"}|{"type":"expired"}}</c>.
    /// </summary>
    public static BatchItemResult ParseLine(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var customId = root.GetProperty("custom_id").GetString() ?? "";
        int? position = customId.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(customId.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
        var result = root.GetProperty("result");
        var type = Str(result, "type");
        BatchItemResult Failed(int? status, string code, string message) => new(customId, false, status, null, null, new ItemError(code, message)) { Position = position };
        switch (type)
        {
            case "succeeded":
                var message = result.GetProperty("message");
                var usage = message.TryGetProperty("usage", out var u) ? UsageNormalisation.FromAnthropic(u) : null;
                return new(customId, true, 200, Encoding.UTF8.GetBytes(message.GetRawText()), usage, null) { Position = position };
            case "errored":
                // The error is the Messages API's error body ({"type":"error","error":{...}}); some SDKs show the inner object alone.
                var error = result.TryGetProperty("error", out var e) ? e : default;
                var inner = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("error", out var ie) && ie.ValueKind == JsonValueKind.Object ? ie : error;
                var code = inner.ValueKind == JsonValueKind.Object ? Str(inner, "type") : null;
                var text = inner.ValueKind == JsonValueKind.Object ? Str(inner, "message") : null;
                return Failed(code == "invalid_request_error" ? 400 : 500, code ?? "batch_item_error", text ?? "The provider reported an error for this item.");
            case "canceled":
                return Failed(null, "batch_cancelled", "The provider batch was cancelled before this item was processed.");
            case "expired":
                return Failed(null, "batch_expired", "The provider batch expired before this item was processed.");
            default:
                return Failed(null, "batch_item_error", $"The provider reported result type '{type}' for this item.");
        }
    }

    private static string? Str(JsonElement e, string field) =>
        e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private HttpRequestMessage Request(HttpMethod method, string pathOrUrl, HttpContent? content)
    {
        var message = new HttpRequestMessage(method, new Uri(_baseUrl, pathOrUrl)) { Content = content };
        if (!string.IsNullOrEmpty(options.ApiKey)) message.Headers.TryAddWithoutValidation("x-api-key", options.ApiKey);
        message.Headers.TryAddWithoutValidation("anthropic-version", options.ApiVersion ?? "2023-06-01");
        return message;
    }

    private async Task<(JsonElement? Body, BatchRefusal? Refusal)> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var message = Request(method, path, content);
        return await ProviderBatchHttp.SendAsync(httpClients, message, name, options, AnthropicResponseClassifier.Classify, cancellationToken);
    }
}
