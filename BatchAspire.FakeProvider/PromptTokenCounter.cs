using Microsoft.ML.Tokenizers;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Counts prompt tokens with o200k_base (the gpt-4o encoding), whatever model a request names.
/// Rule for chat, mirrored by the client's estimator:
/// <c>prompt_tokens = 3 + Σ over messages (3 + Σ tokens(text))</c>, where the texts of a message are
/// its string <c>content</c>, or the <c>text</c> of each <c>{"type":"text"}</c> part when content is an
/// array (each part counted separately, other parts count 0). Role and name are not counted.
/// </summary>
internal static class PromptTokenCounter
{
    public const int TokensPerMessage = 3;

    /// <summary>Every reply is primed with &lt;|start|&gt;assistant&lt;|message|&gt;.</summary>
    public const int TokensPerReply = 3;

    private static readonly Lazy<Tokenizer> Encoding = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    public static int Count(string? text) =>
        string.IsNullOrEmpty(text) ? 0 : Encoding.Value.CountTokens(text);
}
