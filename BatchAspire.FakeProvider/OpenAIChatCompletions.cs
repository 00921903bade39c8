using System.Text;
using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary><c>POST /v1/chat/completions</c>: parses the request, prices it, and builds a deterministic reply.</summary>
internal static class OpenAIChatCompletions
{
    private const int QuotedChars = 40;

    public static ProviderWork Parse(JsonElement body, FakeProviderOptions options, TimeProvider time)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidProviderRequestException("The request body must be a JSON object.");
        }

        var model = OpenAIRequestFields.RequiredModel(body);
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidProviderRequestException("Missing required parameter: 'messages'.", "messages");
        }

        if (messages.GetArrayLength() == 0)
        {
            throw new InvalidProviderRequestException("Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages");
        }

        long promptTokens = PromptTokenCounter.TokensPerReply;
        var lastUserText = "";
        foreach (var message in messages.EnumerateArray())
        {
            var texts = MessageTexts(message);
            promptTokens += PromptTokenCounter.TokensPerMessage;
            foreach (var text in texts)
            {
                promptTokens += PromptTokenCounter.Count(text);
            }

            if (message.ValueKind == JsonValueKind.Object &&
                message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.GetString() == "user")
            {
                lastUserText = string.Join(" ", texts);
            }
        }

        var defaultTokens = options.DefaultCompletionTokens;
        var maxTokens = OpenAIRequestFields.OptionalPositiveInt(body, "max_completion_tokens")
            ?? OpenAIRequestFields.OptionalPositiveInt(body, "max_tokens");
        long completionTokens = Math.Min(maxTokens ?? defaultTokens, defaultTokens);
        var admissionTokens = promptTokens + (maxTokens ?? defaultTokens);
        var content = "Fake reply to: " + (lastUserText.Length <= QuotedChars ? lastUserText : lastUserText[..QuotedChars]);

        return new ProviderWork(model, admissionTokens, promptTokens, completionTokens, () => TypedResults.Json(
            new OpenAIChatCompletion(
                Id: OpenAIRequestFields.NewId("chatcmpl-"),
                Object: "chat.completion",
                Created: time.GetUtcNow().ToUnixTimeSeconds(),
                Model: model,
                Choices: [new OpenAIChatChoice(0, new OpenAIChatMessage("assistant", content, null, []), null, "stop")],
                Usage: new OpenAIChatUsage(
                    promptTokens,
                    completionTokens,
                    promptTokens + completionTokens,
                    new OpenAIPromptTokensDetails(CachedTokens: 0, AudioTokens: 0),
                    new OpenAICompletionTokensDetails(ReasoningTokens: 0, AudioTokens: 0, AcceptedPredictionTokens: 0, RejectedPredictionTokens: 0)),
                ServiceTier: "default",
                SystemFingerprint: OpenAIRequestFields.SystemFingerprint),
            FakeProviderJson.Options));
    }

    /// <summary>The texts a message contributes: its string content, or each text part of an array content.</summary>
    private static List<string> MessageTexts(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidProviderRequestException("Invalid type for 'messages[]': expected an object.", "messages");
        }

        var texts = new List<string>();
        if (!message.TryGetProperty("content", out var content))
        {
            return texts;
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                texts.Add(content.GetString()!);
                break;
            case JsonValueKind.Array:
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object &&
                        part.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "text" &&
                        part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        texts.Add(text.GetString()!);
                    }
                }

                break;
            case JsonValueKind.Null:
                break;
            default:
                throw new InvalidProviderRequestException("Invalid type for 'messages[].content': expected a string or an array of content parts.", "messages");
        }

        return texts;
    }
}
