using System.Buffers;
using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Cli.Input;

/// <summary>
/// Reads a batch file line by line (never whole into memory) in one of three shapes:
/// OpenAI batch JSONL (<c>{"custom_id","method","url","body"}</c>), plain JSONL
/// (<c>{"custom_id"?, "messages"|"prompt"|"body", ...}</c>), or text with one prompt per line.
/// Every line is checked; the caller decides whether problems stop the submission.
/// </summary>
public static class InputReader
{
    private static readonly string[] PlainKinds = ["messages", "prompt", "body"];

    public static async Task<InputFile> ReadAsync(string path, InputFormat format, string? model, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new CliException($"Input file not found: {path}");
        var items = new List<InputItem>();
        var problems = new List<InputProblem>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);

        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (format == InputFormat.Auto)
            {
                // The first line decides: JSON objects, or text prompts.
                format = line.TrimStart().StartsWith('{') ? InputFormat.Jsonl : InputFormat.Text;
            }

            var (item, problem) = format == InputFormat.Text ? FromPrompt(lineNumber, line) : FromJson(lineNumber, line);
            if (item is not null)
            {
                if (seen.TryGetValue(item.CustomId, out var first))
                {
                    problem = $"custom_id '{item.CustomId}' is already used on line {first}; custom_id must be unique.";
                }
                else if (model is null && !HasModel(item.Body))
                {
                    problem = "no model: add \"model\" to the request body, or pass --model.";
                }
                else
                {
                    seen[item.CustomId] = lineNumber;
                    items.Add(item);
                    continue;
                }
            }
            problems.Add(new InputProblem(lineNumber, problem!));
        }
        if (items.Count == 0 && problems.Count == 0) problems.Add(new InputProblem(0, "the file has no requests (it is empty)."));
        return new InputFile(path, format == InputFormat.Auto ? InputFormat.Jsonl : format, items, problems);
    }

    private static (InputItem?, string?) FromPrompt(int line, string text)
    {
        var body = Build(w =>
        {
            w.WriteStartArray("messages");
            WriteUserMessage(w, text.TrimEnd('\r'));
            w.WriteEndArray();
        });
        return (new InputItem(line, $"line-{line}", JobSubmission.DefaultUrl, body), null);
    }

    private static (InputItem?, string?) FromJson(int line, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            return (null, $"not valid JSON: {FirstSentence(ex.Message)}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, $"expected a JSON object, found a JSON {Kind(root)}.");

            var customId = $"line-{line}";
            if (root.TryGetProperty("custom_id", out var id))
            {
                if (id.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(id.GetString())) return (null, "custom_id must be a non-empty string.");
                customId = id.GetString()!;
            }

            var url = JobSubmission.DefaultUrl;
            if (root.TryGetProperty("url", out var u))
            {
                if (u.ValueKind != JsonValueKind.String) return (null, "url must be a string such as \"/v1/chat/completions\".");
                url = u.GetString()!;
                if (!JobSubmission.SupportedUrls.Contains(url)) return (null, $"url '{url}' is not supported; use one of {string.Join(", ", JobSubmission.SupportedUrls)}.");
            }
            if (root.TryGetProperty("method", out var method) && !(method.ValueKind == JsonValueKind.String && method.ValueEquals("POST")))
            {
                return (null, "method must be \"POST\".");
            }

            var kinds = PlainKinds.Where(k => root.TryGetProperty(k, out _)).ToList();
            if (kinds.Count == 0) return (null, "needs one of \"body\" (a request object), \"messages\" (chat messages) or \"prompt\" (text).");
            if (kinds.Count > 1) return (null, $"has both \"{kinds[0]}\" and \"{kinds[1]}\"; give only one.");

            JsonElement body;
            switch (kinds[0])
            {
                case "body":
                    var b = root.GetProperty("body");
                    if (b.ValueKind != JsonValueKind.Object) return (null, $"body must be a JSON object, found a JSON {Kind(b)}.");
                    var extra = root.EnumerateObject().FirstOrDefault(p => p.Name is not ("custom_id" or "method" or "url" or "body"));
                    if (extra.Value.ValueKind != JsonValueKind.Undefined) return (null, $"unexpected field \"{extra.Name}\" next to \"body\"; put request fields inside body.");
                    body = b.Clone();
                    break;
                case "messages":
                    var messages = root.GetProperty("messages");
                    if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0) return (null, "messages must be a non-empty array of chat messages.");
                    body = Build(w =>
                    {
                        w.WritePropertyName("messages");
                        messages.WriteTo(w);
                        CopyRequestFields(root, w);
                    });
                    break;
                default:
                    var prompt = root.GetProperty("prompt");
                    if (prompt.ValueKind != JsonValueKind.String) return (null, "prompt must be a string.");
                    body = Build(w =>
                    {
                        w.WriteStartArray("messages");
                        WriteUserMessage(w, prompt.GetString()!);
                        w.WriteEndArray();
                        CopyRequestFields(root, w);
                    });
                    break;
            }
            return (new InputItem(line, customId, url, body), null);
        }
    }

    /// <summary>Fields beside messages/prompt (model, max_tokens, temperature, ...) belong to the request.</summary>
    private static void CopyRequestFields(JsonElement root, Utf8JsonWriter w)
    {
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name is "custom_id" or "url" or "method" or "messages" or "prompt") continue;
            p.WriteTo(w);
        }
    }

    private static void WriteUserMessage(Utf8JsonWriter w, string content)
    {
        w.WriteStartObject();
        w.WriteString("role", "user");
        w.WriteString("content", content);
        w.WriteEndObject();
    }

    private static JsonElement Build(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            writeProperties(w);
            w.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static bool HasModel(JsonElement body) =>
        body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(m.GetString());

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Replace(" LineNumber: 0 |", "", StringComparison.Ordinal);
    }
}
