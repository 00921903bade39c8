using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>
/// <c>POST /v1/messages</c>: parses an Anthropic Messages request, prices it, and builds a deterministic
/// <c>message</c>. Token rule: the OpenAI chat rule with <c>system</c> counted as one more message,
/// <c>3 + [system: 3 + Σ tokens(text)] + Σ over messages (3 + Σ tokens(text))</c>; a string content or
/// <c>system</c> is one text, an array contributes the <c>text</c> of each <c>{"type":"text"}</c> block.
/// </summary>
internal static class AnthropicMessages
{
    public const string Version = "2023-06-01";

    private const int QuotedChars = 40;

    public static ProviderWork Parse(JsonElement body, HttpRequest request, FakeProviderOptions options)
    {
        if (string.IsNullOrEmpty(request.Headers["anthropic-version"].ToString()))
        {
            throw new InvalidProviderRequestException("anthropic-version: header is required");
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidProviderRequestException("Input should be a valid dictionary or object to extract fields from");
        }

        if (!body.TryGetProperty("model", out var modelElement) || modelElement.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(modelElement.GetString()))
        {
            throw new InvalidProviderRequestException("model: Field required", "model");
        }

        var model = modelElement.GetString()!;
        if (!body.TryGetProperty("max_tokens", out var maxElement))
        {
            throw new InvalidProviderRequestException("max_tokens: Field required", "max_tokens");
        }

        if (maxElement.ValueKind != JsonValueKind.Number || !maxElement.TryGetInt32(out var maxTokens) || maxTokens < 1)
        {
            throw new InvalidProviderRequestException("max_tokens: Input should be a valid integer greater than or equal to 1", "max_tokens");
        }

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidProviderRequestException("messages: Field required", "messages");
        }

        if (messages.GetArrayLength() == 0)
        {
            throw new InvalidProviderRequestException("messages: at least one message is required", "messages");
        }

        long promptTokens = PromptTokenCounter.TokensPerReply;
        if (body.TryGetProperty("system", out var system) && system.ValueKind != JsonValueKind.Null)
        {
            promptTokens += PromptTokenCounter.TokensPerMessage + CountAll(Texts(system, "system"));
        }

        var lastUserText = "";
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                ? r.GetString()
                : null;
            if (role is not ("user" or "assistant"))
            {
                throw new InvalidProviderRequestException($"messages.{index}.role: Input should be 'user' or 'assistant'", "messages");
            }

            if (!message.TryGetProperty("content", out var content))
            {
                throw new InvalidProviderRequestException($"messages.{index}.content: Field required", "messages");
            }

            var texts = Texts(content, $"messages.{index}.content");
            promptTokens += PromptTokenCounter.TokensPerMessage + CountAll(texts);
            if (role == "user")
            {
                lastUserText = string.Join(" ", texts);
            }

            index++;
        }

        var defaultTokens = options.DefaultCompletionTokens;
        long completionTokens = Math.Min(maxTokens, defaultTokens);
        var stopReason = maxTokens <= defaultTokens ? "max_tokens" : "end_turn";
        var cacheRead = Math.Clamp(options.CachedPromptTokens, 0, promptTokens);
        var cacheWrite = Math.Clamp(options.CacheWriteTokens, 0, promptTokens - cacheRead);
        var text = "Fake reply to: " + (lastUserText.Length <= QuotedChars ? lastUserText : lastUserText[..QuotedChars]);

        return new ProviderWork(model, promptTokens + maxTokens, promptTokens, completionTokens, () => TypedResults.Json(
            new AnthropicMessage(
                Id: OpenAIRequestFields.NewId("msg_"),
                Type: "message",
                Role: "assistant",
                Model: model,
                Content: [new AnthropicTextBlock("text", text)],
                StopReason: stopReason,
                StopSequence: null,
                Usage: new AnthropicUsage(promptTokens - cacheRead - cacheWrite, cacheWrite, cacheRead, completionTokens, "standard")),
            FakeProviderJson.Options));
    }

    private static long CountAll(List<string> texts) => texts.Sum(t => (long)PromptTokenCounter.Count(t));

    /// <summary>A string is one text; an array gives the text of each text block (other blocks count 0).</summary>
    private static List<string> Texts(JsonElement content, string field)
    {
        var texts = new List<string>();
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                texts.Add(content.GetString()!);
                break;
            case JsonValueKind.Array:
                foreach (var block in content.EnumerateArray())
                {
                    if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                    {
                        throw new InvalidProviderRequestException($"{field}: each block must be an object with a 'type'", field);
                    }

                    if (type.GetString() == "text" && block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        texts.Add(text.GetString()!);
                    }
                }

                break;
            default:
                throw new InvalidProviderRequestException($"{field}: Input should be a valid string or a list of content blocks", field);
        }

        return texts;
    }
}
