using System.Collections.Concurrent;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using Microsoft.ML.Tokenizers;

namespace BatchAspire.Core.RateLimiting;

/// <summary>A call's token estimate before it is sent: exact prompt tokens, and the output it may produce (-1: unknown).</summary>
public readonly record struct TokenEstimate(long PromptTokens, long MaxOutputTokens);

/// <summary>
/// Counts a request's prompt tokens with the model's real encoding (o200k_base for gpt-4o, 4.1, 5 and the o-series,
/// and for unknown models; cl100k_base for gpt-4, gpt-3.5 and the text-embedding models), by OpenAI's chat rule:
/// <c>3 + Σ over messages (3 + Σ tokens(text))</c>, the texts of a message being its string content or the text of
/// each <c>{"type":"text"}</c> part; role and name are not counted. Embeddings, completions and responses count
/// the tokens of their <c>input</c> / <c>prompt</c> texts. The fake provider counts by the same rule, so a
/// reservation equals what it charges and reconciles to the exact usage it reports.
/// </summary>
public sealed class TokenEstimator
{
    public const string O200k = "o200k_base";
    public const string Cl100k = "cl100k_base";

    // Creating a tiktoken tokenizer parses a ~4 MB vocabulary: once per encoding per process.
    private readonly ConcurrentDictionary<string, Lazy<Tokenizer>> _tokenizers = new();

    public static string EncodingFor(string model)
    {
        var m = model.ToLowerInvariant();
        var slash = m.LastIndexOf('/');
        if (slash >= 0) m = m[(slash + 1)..];
        return m.StartsWith("gpt-4o", StringComparison.Ordinal) || m.StartsWith("gpt-4.1", StringComparison.Ordinal)
            || m.StartsWith("gpt-4.5", StringComparison.Ordinal) || m.StartsWith("gpt-5", StringComparison.Ordinal)
            || m.StartsWith("chatgpt-4o", StringComparison.Ordinal) || m.StartsWith("o1", StringComparison.Ordinal)
            || m.StartsWith("o3", StringComparison.Ordinal) || m.StartsWith("o4", StringComparison.Ordinal) ? O200k
            : m.StartsWith("gpt-4", StringComparison.Ordinal) || m.StartsWith("gpt-3.5", StringComparison.Ordinal)
            || m.StartsWith("text-embedding-", StringComparison.Ordinal) ? Cl100k
            : O200k;
    }

    public Tokenizer TokenizerFor(string model) =>
        _tokenizers.GetOrAdd(EncodingFor(model), e => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(e))).Value;

    public const int TokensPerMessage = 3;
    public const int TokensPerReply = 3;

    public TokenEstimate Estimate(StoredItem item)
    {
        var tokenizer = TokenizerFor(item.Model);
        long prompt = 0;
        var body = item.Body;
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            prompt = TokensPerReply;
            foreach (var message in messages.EnumerateArray())
            {
                prompt += TokensPerMessage;
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
                {
                    foreach (var text in Texts(content)) prompt += tokenizer.CountTokens(text);
                }
            }
        }
        foreach (var name in (string[])["input", "prompt"])
        {
            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value))
            {
                foreach (var text in Texts(value)) prompt += tokenizer.CountTokens(text);
            }
        }
        var embeddings = item.Url.EndsWith("/embeddings", StringComparison.Ordinal);
        return new TokenEstimate(prompt, embeddings ? 0 : MaxOutput(body));
    }

    /// <summary><c>max_completion_tokens</c>, else <c>max_tokens</c>, else <c>max_output_tokens</c> (Responses API); -1 when none is set.</summary>
    public static long MaxOutput(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return -1;
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens", "max_output_tokens"])
        {
            if (body.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) && n >= 0) return n;
        }
        return -1;
    }

    private static IEnumerable<string> Texts(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                yield return value.GetString() ?? "";
                break;
            case JsonValueKind.Array:
                foreach (var part in value.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.String) yield return part.GetString() ?? "";
                    else if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                        && type.GetString() is "text" or "input_text" && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) yield return t.GetString() ?? "";
                }
                break;
        }
    }
}
