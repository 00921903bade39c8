using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Providers.OpenAI;

namespace BatchAspire.Core.Modes.Economy.OpenAI;

/// <summary>
/// The OpenAI Batch API: the items as a JSONL file (<c>POST /v1/files</c>, purpose <c>batch</c>), a batch over it
/// (<c>POST /v1/batches</c>), polled with <c>GET /v1/batches/{id}</c>; results in the output and error files.
/// </summary>
public sealed class OpenAIBatchClient(string name, ProviderOptions options, IHttpClientFactory httpClients) : IProviderBatchClient
{
    private readonly Uri _baseUrl = new(options.BaseUrl!.TrimEnd('/') + "/");

    public ProviderBatchLimits Limits { get; } = new(50_000, 200L * 1024 * 1024);

    public async Task<BatchSubmitResult> SubmitAsync(string jobId, int chunk, IReadOnlyList<StoredItem> items, CancellationToken cancellationToken)
    {
        var lines = new MemoryStream();
        foreach (var item in items)
        {
            using var w = new Utf8JsonWriter(lines);
            w.WriteStartObject();
            w.WriteString("custom_id", item.CustomId);
            w.WriteString("method", "POST");
            w.WriteString("url", item.Url);
            w.WritePropertyName("body");
            item.Body.WriteTo(w);
            w.WriteEndObject();
            w.Flush();
            lines.WriteByte((byte)'\n');
        }
        var file = new ByteArrayContent(lines.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { file, "file", $"{jobId}-{chunk}.jsonl" },
        };
        var (uploaded, refusal) = await SendAsync(HttpMethod.Post, "files", form, cancellationToken);
        if (refusal is not null) return new(null, refusal);
        var fileId = uploaded!.Value.GetProperty("id").GetString();

        var create = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["input_file_id"] = fileId!,
            ["endpoint"] = items[0].Url,
            ["completion_window"] = "24h",
            ["metadata"] = new Dictionary<string, string> { ["batchaspire_job"] = jobId, ["batchaspire_chunk"] = chunk.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
        var (batch, batchRefusal) = await SendAsync(HttpMethod.Post, "batches", ProviderHttp.Json(create), cancellationToken);
        return batchRefusal is not null ? new(null, batchRefusal) : new(batch!.Value.GetProperty("id").GetString(), null);
    }

    public async Task<BatchPollResult> PollAsync(string batchId, CancellationToken cancellationToken)
    {
        var (batch, refusal) = await SendAsync(HttpMethod.Get, $"batches/{Uri.EscapeDataString(batchId)}", null, cancellationToken);
        if (refusal is not null) return new(batchId, "unknown", false, null, null, null, refusal);
        var b = batch!.Value;
        var status = b.GetProperty("status").GetString() ?? "unknown";
        string? Str(string field) => b.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        ItemError? reason = status switch
        {
            "expired" => new("batch_expired", $"The provider batch {batchId} expired before this item was processed."),
            "cancelled" => new("batch_cancelled", $"The provider batch {batchId} was cancelled before this item was processed."),
            "failed" => new(FirstErrorCode(b) ?? "batch_failed", $"The provider batch {batchId} failed: {FirstErrorMessage(b) ?? "no reason given"}."),
            _ => new("missing_result", $"The provider batch {batchId} completed without a result for this item."),
        };
        var ended = status is "completed" or "failed" or "expired" or "cancelled";
        return new(batchId, status, ended, ended ? reason : null, Str("output_file_id"), Str("error_file_id"));
    }

    public async IAsyncEnumerable<BatchItemResult> ResultsAsync(BatchPollResult ended, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var fileId in new[] { ended.OutputRef, ended.ErrorRef })
        {
            if (fileId is null) continue;
            using var message = Request(HttpMethod.Get, $"files/{Uri.EscapeDataString(fileId)}/content", null);
            using var response = await httpClients.CreateClient(ProviderRegistry.HttpClientName)
                .SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"Provider '{name}' answered {(int)response.StatusCode} for the content of batch file {fileId}.", null, response.StatusCode);
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length > 0) yield return ParseLine(ProviderHttp.Redact(line, options.ApiKey));
            }
        }
    }

    public async Task CancelAsync(string batchId, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Post, $"batches/{Uri.EscapeDataString(batchId)}/cancel", null, cancellationToken);

    /// <summary>One output or error file line: <c>{"custom_id","response":{"status_code","body"},"error":{"code","message"}}</c>.</summary>
    public static BatchItemResult ParseLine(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var customId = root.GetProperty("custom_id").GetString() ?? "";
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            return new(customId, false, null, null, null, new ItemError(
                error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "batch_item_error",
                error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "The provider reported an error for this item."));
        }
        var response = root.GetProperty("response");
        var status = response.TryGetProperty("status_code", out var s) && s.TryGetInt32(out var code) ? code : 0;
        var body = response.TryGetProperty("body", out var b) ? b : default;
        var bytes = body.ValueKind == JsonValueKind.Undefined ? null : Encoding.UTF8.GetBytes(body.GetRawText());
        var usage = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("usage", out var u) ? UsageNormalisation.FromOpenAI(u) : null;
        if (status is >= 200 and < 300) return new(customId, true, status, bytes, usage, null);
        var inner = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
        string? Field(string f) => inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new(customId, false, status, bytes, usage, new ItemError(Field("code") ?? Field("type") ?? $"http_{status}", Field("message") ?? $"The provider answered {status} for this item."));
    }

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content)
    {
        var message = new HttpRequestMessage(method, new Uri(_baseUrl, path)) { Content = content };
        if (!string.IsNullOrEmpty(options.ApiKey)) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        return message;
    }

    private async Task<(JsonElement? Body, BatchRefusal? Refusal)> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var message = Request(method, path, content);
        return await ProviderBatchHttp.SendAsync(httpClients, message, name, options, OpenAIResponseClassifier.Classify, cancellationToken);
    }

    private static string? FirstErrorCode(JsonElement batch) => FirstError(batch, "code");

    private static string? FirstErrorMessage(JsonElement batch) => FirstError(batch, "message");

    private static string? FirstError(JsonElement batch, string field) =>
        batch.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
        && errors.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0
        && data[0].TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
