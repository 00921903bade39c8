using System.Runtime.CompilerServices;
using System.Text.Json;
using BatchAspire.Core.Files;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;

namespace BatchAspire.Core.Batches;

/// <summary>
/// Reads a batch input file (OpenAI JSONL: <c>{"custom_id","method","url","body"}</c> per line) from the store
/// and turns each line into a stored item, or into an error naming the line. Items stop flowing at the first
/// error (the batch will fail and nothing runs) but the scan goes on to report up to
/// <see cref="MaxReportedErrors"/> errors, as OpenAI does.
/// </summary>
public sealed class BatchInputValidator(ProviderRegistry providers, JobLimitsOptions limits, int maxItems, string endpoint, string? modelOverride, string? providerOverride)
{
    public const int MaxReportedErrors = 100;

    private readonly List<InputLineError> _errors = [];
    private readonly HashSet<string> _customIds = new(StringComparer.Ordinal);
    private JsonDocument? _line;

    public IReadOnlyList<InputLineError> Errors => _errors;

    /// <summary>The model of the first valid line: the batch's <c>model</c>.</summary>
    public string? FirstModel { get; private set; }

    public async IAsyncEnumerable<StoredItem> ItemsAsync(FileStore files, string fileId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long items = 0;
        await foreach (var line in files.ReadLinesAsync(fileId, limits.MaxItemBytes + 64 * 1024, cancellationToken))
        {
            if (!line.TooLong && line.Bytes.Span.Trim(" \t"u8).IsEmpty) continue;
            if (items == maxItems)
            {
                Fail("too_many_tasks", $"The file has more than {maxItems} requests; a batch holds at most {maxItems}.", null, line.Number);
                yield break;
            }
            items++;
            try
            {
                var item = Validate(line);
                // The consumer copies the item before asking for the next, so the line's document can go after.
                if (item is not null && _errors.Count == 0) yield return item;
            }
            finally
            {
                _line?.Dispose();
                _line = null;
            }
            if (_errors.Count >= MaxReportedErrors) yield break;
        }
        if (items == 0 && _errors.Count == 0) Fail("empty_file", "The batch input file is empty: it has no requests.", null, null);
    }

    private StoredItem? Validate(FileLine line)
    {
        var n = line.Number;
        if (line.TooLong)
        {
            return Fail("item_too_large", $"This line is larger than {limits.MaxItemBytes} bytes (BatchAspire:Jobs:MaxItemBytes).", null, n);
        }
        try
        {
            _line = JsonDocument.Parse(line.Bytes);
        }
        catch (JsonException)
        {
            return Fail("invalid_json_line", "This line is not parseable as valid JSON.", null, n);
        }
        var root = _line.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return Fail("invalid_json_line", "This line is not a JSON object.", null, n);

        if (!root.TryGetProperty("custom_id", out var idProperty) || idProperty.ValueKind != JsonValueKind.String || idProperty.GetString() is not { Length: > 0 } customId)
        {
            return Fail("missing_custom_id", "This line has no custom_id; every request needs a custom_id string, unique in the file.", "custom_id", n);
        }
        if (customId.Length > limits.MaxCustomIdLength)
        {
            return Fail("invalid_custom_id", $"The custom_id is longer than {limits.MaxCustomIdLength} characters.", "custom_id", n);
        }
        if (!_customIds.Add(customId))
        {
            return Fail("duplicate_custom_id", $"The custom_id '{customId}' is a duplicate of another request's; custom_id must be unique in the file.", "custom_id", n);
        }
        if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String || method.GetString() != "POST")
        {
            return Fail("invalid_method", "The method must be \"POST\".", "method", n);
        }
        if (!root.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String || url.GetString() != endpoint)
        {
            return Fail("url_mismatch", $"The url must be the batch's endpoint, \"{endpoint}\".", "url", n);
        }
        if (!root.TryGetProperty("body", out var body) || body.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return Fail("missing_body", "This line has no body; body is the request to send, a JSON object.", "body", n);
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Fail("invalid_body", "The body must be a JSON object.", "body", n);
        }

        string? model = modelOverride;
        if (model is null && body.TryGetProperty("model", out var m))
        {
            if (m.ValueKind != JsonValueKind.String) return Fail("invalid_model", "body.model must be a string.", "body.model", n);
            model = m.GetString();
        }
        if (string.IsNullOrWhiteSpace(model))
        {
            return Fail("missing_model", $"This request names no model: set body.model (or metadata.{BatchMetadataKeys.Model}).", "body.model", n);
        }
        var route = providers.Resolve(providerOverride is null ? model : $"{providerOverride}/{model}");
        if (route is null)
        {
            return Fail("model_not_found", $"The model '{model}' does not exist or no configured provider serves it.", "body.model", n);
        }
        FirstModel ??= model;
        return new StoredItem(customId, route.Provider, route.Model, endpoint, JobSubmission.WithModel(body, route.Model));
    }

    private StoredItem? Fail(string code, string message, string? param, long? line)
    {
        if (_errors.Count < MaxReportedErrors) _errors.Add(new InputLineError(code, message, param, line));
        return null;
    }
}
