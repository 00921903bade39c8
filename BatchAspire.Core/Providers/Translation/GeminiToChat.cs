using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers.Translation;

/// <summary>
/// A Gemini generateContent answer as an OpenAI <c>chat.completion</c>: the first candidate's non-thought
/// text parts joined; <c>finishReason</c> STOP → <c>stop</c>, MAX_TOKENS → <c>length</c>, SAFETY, RECITATION,
/// BLOCKLIST, PROHIBITED_CONTENT, SPII (or a blocked prompt) → <c>content_filter</c>.
/// </summary>
public static class GeminiToChat
{
    public static byte[] Translate(byte[] gemini, TokenUsage? usage, string requestedModel)
    {
        using var doc = JsonDocument.Parse(gemini);
        var root = doc.RootElement;
        string? text = null;
        var reason = "content_filter"; // no candidate at all: the prompt was blocked
        if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0)
        {
            var first = candidates[0];
            if (first.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
            {
                text = string.Concat(parts.EnumerateArray()
                    .Where(p => p.TryGetProperty("text", out _) && !(p.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True))
                    .Select(p => p.GetProperty("text").GetString()));
            }
            var finish = first.TryGetProperty("finishReason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            reason = finish switch
            {
                "MAX_TOKENS" => "length",
                "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => "content_filter",
                _ => "stop",
            };
        }
        return ChatCompletionJson.Write(
            root.TryGetProperty("responseId", out var id) ? id.GetString() ?? "" : "",
            root.TryGetProperty("modelVersion", out var m) ? m.GetString() ?? requestedModel : requestedModel,
            text,
            reason,
            usage);
    }
}
