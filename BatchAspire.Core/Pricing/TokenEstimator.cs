using System.Text.Json;
using BatchAspire.Core.Providers;
using Microsoft.ML.Tokenizers;

namespace BatchAspire.Core.Pricing;

/// <summary>
/// Counts a request's prompt tokens before it is sent, with a real tokenizer (o200k_base, the encoding of
/// gpt-4o, gpt-4.1, o3 and o4-mini) over every text the request carries: chat messages (+4 per message, +3
/// for the reply's priming, as OpenAI counts), Responses <c>input</c>, embeddings <c>input</c>, completions
/// <c>prompt</c>, Anthropic <c>system</c>/<c>messages</c>, Gemini <c>systemInstruction</c>/<c>contents</c>.
/// An image counts <see cref="TokensPerImage"/> (Anthropic's ceiling for a 1.15-megapixel image; OpenAI's
/// high-detail 1024² image is 765). Claude and Gemini tokenizers are not public: their counts are the o200k
/// count plus <see cref="OtherTokenizerMargin"/>, so a budget reserved from this estimate is not undercut.
/// </summary>
public sealed class TokenEstimator
{
    public const int TokensPerImage = 1_600;
    public const decimal OtherTokenizerMargin = 0.25m;

    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public int CountText(string text) => text.Length == 0 ? 0 : O200k.Value.CountTokens(text);

    /// <summary>The estimated prompt tokens of an item's body, for the provider type that will serve it.</summary>
    public long EstimateInput(string providerType, string url, JsonElement body)
    {
        var count = new Counter(this);
        count.Body(url, body);
        var tokens = count.Tokens;
        if (providerType is ProviderTypes.Anthropic or ProviderTypes.Gemini)
        {
            tokens = (long)Math.Ceiling(tokens * (1 + OtherTokenizerMargin));
        }
        return tokens;
    }

    private sealed class Counter(TokenEstimator estimator)
    {
        public long Tokens;

        public void Body(string url, JsonElement body)
        {
            if (body.ValueKind != JsonValueKind.Object) return;
            if (body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                Tokens += 3;
                foreach (var message in messages.EnumerateArray())
                {
                    Tokens += 4;
                    if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content)) Content(content);
                }
            }
            if (body.TryGetProperty("system", out var system)) Content(system);
            if (body.TryGetProperty("input", out var input)) Content(input);
            if (body.TryGetProperty("instructions", out var instructions)) Content(instructions);
            if (body.TryGetProperty("prompt", out var prompt)) Content(prompt);
            if (body.TryGetProperty("systemInstruction", out var instruction)) Content(instruction);
            if (body.TryGetProperty("contents", out var contents)) Content(contents);
        }

        /// <summary>Any content shape: a string, an array of strings/parts/messages, or a part object.</summary>
        private void Content(JsonElement content)
        {
            switch (content.ValueKind)
            {
                case JsonValueKind.String:
                    Tokens += estimator.CountText(content.GetString()!);
                    break;
                case JsonValueKind.Number:
                    Tokens += 1; // embeddings input given as token ids
                    break;
                case JsonValueKind.Array:
                    foreach (var element in content.EnumerateArray()) Content(element);
                    break;
                case JsonValueKind.Object:
                    Part(content);
                    break;
            }
        }

        private void Part(JsonElement part)
        {
            var type = part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is "image_url" or "image" or "input_image" || part.TryGetProperty("inlineData", out _) || part.TryGetProperty("fileData", out _))
            {
                Tokens += TokensPerImage;
                return;
            }
            if (part.TryGetProperty("text", out var text)) Content(text);
            if (part.TryGetProperty("content", out var content)) Content(content);
            if (part.TryGetProperty("parts", out var parts)) Content(parts);
        }
    }
}
