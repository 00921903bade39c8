using System.Collections.Concurrent;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using Microsoft.ML.Tokenizers;

namespace BatchAspire.Core.RateLimiting;

/// <summary>A call's token estimate before it is sent: exact prompt tokens, and the output it may produce (-1: unknown).</summary>
public readonly record struct TokenEstimate(long PromptTokens, long MaxOutputTokens);

/// <summary>
/// Counts a request's prompt tokens with the model's real encoding (o200k_base for gpt-4o, 4.1, 5 and the o-series,
/// and for unknown models; cl100k_base for gpt-4, gpt-3.5 and the text-embedding models). The count is the sum of
/// the encoded text of every message content part (or <c>input</c> / <c>prompt</c>), without per-message framing,
/// which is the rule the fake provider counts by, so a reservation reconciles to the exact usage it reports.
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

    public TokenEstimate Estimate(StoredItem item)
    {
        var tokenizer = TokenizerFor(item.Model);
        long prompt = 0;
        foreach (var text in PromptTexts(item.Body)) prompt += tokenizer.CountTokens(text);
        var embeddings = item.Url.EndsWith("/embeddings", StringComparison.Ordinal);
        return new TokenEstimate(prompt, embeddings ? 0 : MaxOutput(item.Body));
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

    /// <summary>Every text the provider counts as prompt: message contents (strings or text parts), <c>input</c>, <c>prompt</c>.</summary>
    public static IEnumerable<string> PromptTexts(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) yield break;
        if (body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
                {
                    foreach (var text in Texts(content)) yield return text;
                }
            }
        }
        foreach (var name in (string[])["input", "prompt"])
        {
            if (body.TryGetProperty(name, out var value))
            {
                foreach (var text in Texts(value)) yield return text;
            }
        }
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
                    else if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) yield return t.GetString() ?? "";
                    else if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("content", out var c)) foreach (var s in Texts(c)) yield return s;
                }
                break;
        }
    }
}
