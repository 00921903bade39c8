using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Providers.Gemini;
using BatchAspire.Core.Providers.Translation;

namespace BatchAspire.Core.Modes.Economy.Gemini;

/// <summary>
/// Gemini batch mode with inline requests: <c>POST {BaseUrl}/models/{model}:batchGenerateContent</c> with
/// <c>{"batch":{"display_name","input_config":{"requests":{"requests":[{"request":{generateContent body},"metadata":{"key":custom_id}}]}}}}</c>
/// answers a long-running operation named <c>batches/{id}</c>, polled with <c>GET {BaseUrl}/{name}</c>: its
/// <c>metadata.state</c> (<c>BATCH_STATE_*</c> in the reference, <c>JOB_STATE_*</c> in the guide's examples; both are
/// read) and, once done, <c>response.inlinedResponses.inlinedResponses[]</c> (also read from
/// <c>metadata.output</c>), one <c>{"response"}|{"error"}</c> per request in request order, which is how results
/// are mapped back (Gemini does not always echo <c>metadata</c>). Cancelled with <c>POST {BaseUrl}/{name}:cancel</c>.
/// One batch names one model, so the runner cuts Gemini chunks at a change of model.
/// </summary>
public sealed class GeminiBatchClient(string name, ProviderOptions options, IHttpClientFactory httpClients) : IProviderBatchClient
{
    private readonly string _baseUrl = options.BaseUrl!.TrimEnd('/');

    /// <summary>Inline requests are capped at 20 MB per batch by Gemini (bigger batches need an uploaded file).</summary>
    public ProviderBatchLimits Limits { get; } = new(100_000, 20L * 1024 * 1024);

    public async Task<BatchSubmitResult> SubmitAsync(string jobId, int chunk, IReadOnlyList<StoredItem> items, CancellationToken cancellationToken)
    {
        var model = items[0].Model;
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("batch");
            w.WriteString("display_name", $"{jobId}-{chunk}");
            w.WriteStartObject("input_config");
            w.WriteStartObject("requests");
            w.WriteStartArray("requests");
            foreach (var item in items)
            {
                if (item.Model != model)
                {
                    return new(null, new BatchRefusal(BatchRefusalKind.Rejected, null,
                        new ItemError("mixed_models", $"A Gemini batch runs one model; item '{item.CustomId}' asks for {item.Model}, the batch for {model}.")));
                }
                w.WriteStartObject();
                w.WritePropertyName("request");
                try
                {
                    if (item.Url == ProviderEndpoints.GeminiGenerateContent) WriteWithoutModel(w, item.Body);
                    else w.WriteRawValue(ChatToGemini.Translate(item.Body), skipInputValidation: true);
                }
                catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException or FormatException)
                {
                    return new(null, new BatchRefusal(BatchRefusalKind.Rejected, null,
                        new ItemError("untranslatable_request", $"Item '{item.CustomId}' could not be translated to the Gemini API: {ex.Message}")));
                }
                w.WriteStartObject("metadata");
                w.WriteString("key", item.CustomId);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var (operation, refusal) = await SendAsync(HttpMethod.Post, $"models/{Uri.EscapeDataString(model)}:batchGenerateContent", ProviderHttp.Json(buffer.ToArray()), cancellationToken);
        return refusal is not null ? new(null, refusal) : new(Str(operation!.Value, "name"), null);
    }

    public async Task<BatchPollResult> PollAsync(string batchId, CancellationToken cancellationToken)
    {
        var (operation, refusal) = await SendAsync(HttpMethod.Get, batchId, null, cancellationToken);
        if (refusal is not null) return new(batchId, "unknown", false, null, null, null, refusal);
        var op = operation!.Value;
        var meta = op.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        var state = (meta.ValueKind == JsonValueKind.Object ? Str(meta, "state") : null) ?? Str(op, "state") ?? "unknown";
        var suffix = state.Replace("BATCH_STATE_", "", StringComparison.Ordinal).Replace("JOB_STATE_", "", StringComparison.Ordinal);
        var done = op.TryGetProperty("done", out var d) && d.ValueKind == JsonValueKind.True;
        var ended = done || suffix is "SUCCEEDED" or "FAILED" or "CANCELLED" or "EXPIRED";
        var opError = op.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? Str(e, "message") : null;
        ItemError reason = suffix switch
        {
            "EXPIRED" => new("batch_expired", $"The provider batch {batchId} expired before this item was processed."),
            "CANCELLED" => new("batch_cancelled", $"The provider batch {batchId} was cancelled before this item was processed."),
            "FAILED" => new("batch_failed", $"The provider batch {batchId} failed: {opError ?? "no reason given"}."),
            _ => new("missing_result", $"The provider batch {batchId} ended without a result for this item."),
        };
        // The inline responses travel in the operation itself: the result reference is the batch's own name.
        return new(batchId, state, ended, ended ? reason : null, ended ? batchId : null, null);
    }

    public async IAsyncEnumerable<BatchItemResult> ResultsAsync(BatchPollResult ended, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (ended.OutputRef is null) yield break;
        var (operation, refusal) = await SendAsync(HttpMethod.Get, ended.OutputRef, null, cancellationToken);
        if (refusal is not null)
        {
            throw new HttpRequestException($"Provider '{name}' answered {refusal.StatusCode} for the results of batch {ended.BatchId}: {refusal.Error.Message}");
        }
        var responses = InlinedResponses(operation!.Value);
        for (var i = 0; i < responses.Count; i++) yield return ParseResponse(responses[i], i);
    }

    public async Task CancelAsync(string batchId, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Post, $"{batchId}:cancel", null, cancellationToken);

    public BatchItemResult ForItem(StoredItem item, BatchItemResult result)
    {
        if (!result.Succeeded || result.Body is null || item.Url == ProviderEndpoints.GeminiGenerateContent) return result;
        try
        {
            return result with { Body = GeminiToChat.Translate(result.Body, result.Usage, item.Model) };
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or JsonException)
        {
            return result with { Succeeded = false, Error = new ItemError("untranslatable_response", $"The Gemini answer could not be translated to a chat completion: {ex.Message}") };
        }
    }

    /// <summary><c>response.inlinedResponses.inlinedResponses[]</c>, else <c>metadata.output.inlinedResponses.inlinedResponses[]</c>, else a flat <c>response.inlinedResponses[]</c>.</summary>
    public static List<JsonElement> InlinedResponses(JsonElement operation)
    {
        foreach (var holder in new[] { Path(operation, "response"), Path(operation, "metadata", "output") })
        {
            var inlined = Path(holder, "inlinedResponses");
            if (inlined.ValueKind == JsonValueKind.Array) return [.. inlined.EnumerateArray()];
            var nested = Path(inlined, "inlinedResponses");
            if (nested.ValueKind == JsonValueKind.Array) return [.. nested.EnumerateArray()];
        }
        return [];
    }

    /// <summary>One inline response: <c>{"response":{GenerateContentResponse},"metadata":{"key"}}</c> or <c>{"error":{"code","message","status"}}</c>.</summary>
    public static BatchItemResult ParseResponse(JsonElement inlined, int position)
    {
        var key = Path(inlined, "metadata", "key") is { ValueKind: JsonValueKind.String } k ? k.GetString()! : "";
        if (Path(inlined, "error") is { ValueKind: JsonValueKind.Object } error)
        {
            var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : (int?)null;
            var status = Str(error, "status");
            return new(key, false, code, null, null, new ItemError(status?.ToLowerInvariant() ?? (code is { } h ? $"http_{h}" : "batch_item_error"),
                Str(error, "message") ?? "The provider reported an error for this item.")) { Position = position };
        }
        var response = Path(inlined, "response");
        if (response.ValueKind != JsonValueKind.Object)
        {
            return new(key, false, null, null, null, new ItemError("missing_result", "The provider's inline response carries neither a response nor an error.")) { Position = position };
        }
        var usage = response.TryGetProperty("usageMetadata", out var u) ? UsageNormalisation.FromGemini(u) : null;
        return new(key, true, 200, Encoding.UTF8.GetBytes(response.GetRawText()), usage, null) { Position = position };
    }

    private static JsonElement Path(JsonElement e, params string[] names)
    {
        foreach (var n in names)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(n, out e)) return default;
        }
        return e;
    }

    private static string? Str(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static void WriteWithoutModel(Utf8JsonWriter w, JsonElement body)
    {
        w.WriteStartObject();
        foreach (var property in body.EnumerateObject())
        {
            if (!property.NameEquals("model")) property.WriteTo(w);
        }
        w.WriteEndObject();
    }

    private async Task<(JsonElement? Body, BatchRefusal? Refusal)> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(method, new Uri($"{_baseUrl}/{path}")) { Content = content };
        if (!string.IsNullOrEmpty(options.ApiKey)) message.Headers.TryAddWithoutValidation("x-goog-api-key", options.ApiKey);
        return await ProviderBatchHttp.SendAsync(httpClients, message, name, options, GeminiResponseClassifier.Classify, cancellationToken);
    }
}
