using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>
/// <c>POST /v1beta/models/{model}:generateContent</c>: parses the request, prices it, and builds a deterministic
/// answer. Token rule: the OpenAI chat rule with <c>systemInstruction</c> counted as one more message,
/// <c>3 + [systemInstruction: 3 + Σ tokens(text)] + Σ over contents (3 + Σ tokens(text))</c>, where the texts
/// of a content are the <c>text</c> of each of its parts (other parts count 0). Completion tokens as OpenAI's,
/// with <c>generationConfig.maxOutputTokens</c> as the max tokens.
/// </summary>
internal static class GeminiGenerateContent
{
    private const int QuotedChars = 40;

    public static ProviderWork Parse(JsonElement body, string model, FakeProviderOptions options)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidProviderRequestException("Invalid JSON payload received. Expected an object.");
        }

        foreach (var property in body.EnumerateObject())
        {
            if (property.Name is "model" or "messages" or "max_tokens")
            {
                throw new InvalidProviderRequestException($"Invalid JSON payload received. Unknown name \"{property.Name}\": Cannot find field.", property.Name);
            }
        }

        if (!body.TryGetProperty("contents", out var contents) || contents.ValueKind != JsonValueKind.Array || contents.GetArrayLength() == 0)
        {
            throw new InvalidProviderRequestException("* GenerateContentRequest.contents: contents is not specified\n", "contents");
        }

        long promptTokens = PromptTokenCounter.TokensPerReply;
        if (body.TryGetProperty("systemInstruction", out var system) && system.ValueKind != JsonValueKind.Null)
        {
            promptTokens += PromptTokenCounter.TokensPerMessage + CountAll(Texts(system, "systemInstruction"));
        }

        var lastUserText = "";
        var index = 0;
        foreach (var content in contents.EnumerateArray())
        {
            var texts = Texts(content, $"contents[{index}]");
            promptTokens += PromptTokenCounter.TokensPerMessage + CountAll(texts);
            var role = content.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : "user";
            if (role == "user")
            {
                lastUserText = string.Join(" ", texts);
            }

            index++;
        }

        int? maxTokens = null;
        if (body.TryGetProperty("generationConfig", out var config) && config.ValueKind == JsonValueKind.Object &&
            config.TryGetProperty("maxOutputTokens", out var max) && max.ValueKind != JsonValueKind.Null)
        {
            if (max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var value) || value < 1)
            {
                throw new InvalidProviderRequestException(
                    "Invalid value at 'generation_config.max_output_tokens': expected a positive integer.", "generationConfig.maxOutputTokens");
            }

            maxTokens = value;
        }

        var defaultTokens = options.DefaultCompletionTokens;
        long completionTokens = Math.Min(maxTokens ?? defaultTokens, defaultTokens);
        var finishReason = maxTokens is { } m && m <= defaultTokens ? "MAX_TOKENS" : "STOP";
        var cached = Math.Clamp(options.CachedPromptTokens, 0, promptTokens);
        var thoughts = Math.Max(0, options.ReasoningTokens);
        var text = "Fake reply to: " + (lastUserText.Length <= QuotedChars ? lastUserText : lastUserText[..QuotedChars]);

        return new ProviderWork(model, promptTokens + (maxTokens ?? defaultTokens), promptTokens, completionTokens + thoughts, () => TypedResults.Json(
            new GeminiResponse(
                [new GeminiCandidate(new GeminiContent([new GeminiPart(text)], "model"), finishReason, 0)],
                new GeminiUsageMetadata(
                    PromptTokenCount: promptTokens,
                    CandidatesTokenCount: completionTokens,
                    TotalTokenCount: promptTokens + completionTokens + thoughts,
                    CachedContentTokenCount: cached > 0 ? cached : null,
                    ThoughtsTokenCount: thoughts > 0 ? thoughts : null,
                    PromptTokensDetails: [new GeminiModalityTokenCount("TEXT", promptTokens)]),
                ModelVersion: model,
                ResponseId: OpenAIRequestFields.NewId("")[..22]),
            GeminiDialect.Json));
    }

    private static long CountAll(List<string> texts) => texts.Sum(t => (long)PromptTokenCounter.Count(t));

    /// <summary>The text of each part of a <c>Content</c> (<c>{"role","parts":[{"text"}|…]}</c>).</summary>
    private static List<string> Texts(JsonElement content, string field)
    {
        if (content.ValueKind != JsonValueKind.Object || !content.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidProviderRequestException($"Invalid JSON payload received. '{field}' must be an object with a 'parts' array.", field);
        }

        var texts = new List<string>();
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                texts.Add(text.GetString()!);
            }
        }

        return texts;
    }
}
