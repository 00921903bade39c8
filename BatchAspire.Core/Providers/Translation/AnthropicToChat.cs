using System.Buffers;
using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers.Translation;

/// <summary>
/// An Anthropic Messages answer as an OpenAI <c>chat.completion</c>: text blocks joined into
/// <c>choices[0].message.content</c>; <c>stop_reason</c> end_turn/stop_sequence → <c>stop</c>, max_tokens →
/// <c>length</c>, refusal → <c>content_filter</c>, tool_use → <c>tool_calls</c>; usage in OpenAI's fields with
/// prompt_tokens counting cached and cache-written tokens (as OpenAI's do).
/// </summary>
public static class AnthropicToChat
{
    public static byte[] Translate(byte[] anthropic, TokenUsage? usage, string requestedModel)
    {
        using var doc = JsonDocument.Parse(anthropic);
        var root = doc.RootElement;
        var text = root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
            ? string.Concat(content.EnumerateArray().Where(b => b.TryGetProperty("type", out var t) && t.ValueEquals("text")).Select(b => b.GetProperty("text").GetString()))
            : "";
        var reason = root.TryGetProperty("stop_reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        return ChatCompletionJson.Write(
            root.TryGetProperty("id", out var id) ? id.GetString() ?? "" : "",
            root.TryGetProperty("model", out var m) ? m.GetString() ?? requestedModel : requestedModel,
            text,
            reason switch
            {
                "end_turn" or "stop_sequence" or "pause_turn" => "stop",
                "max_tokens" or "model_context_window_exceeded" => "length",
                "refusal" => "content_filter",
                "tool_use" => "tool_calls",
                _ => "stop",
            },
            usage);
    }
}

/// <summary>The OpenAI <c>chat.completion</c> shape that translated answers are written in.</summary>
public static class ChatCompletionJson
{
    public static byte[] Write(string id, string model, string? content, string finishReason, TokenUsage? usage)
    {
        var buffer = new ArrayBufferWriter<byte>(512 + (content?.Length ?? 0));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id.Length > 0 ? id : "chatcmpl-" + Guid.NewGuid().ToString("N")[..24]);
            w.WriteString("object", "chat.completion");
            w.WriteNumber("created", ChatTranslation.Now());
            w.WriteString("model", model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", content);
            w.WriteNull("refusal");
            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", finishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            if (usage is not null)
            {
                w.WriteStartObject("usage");
                w.WriteNumber("prompt_tokens", usage.InputTokens);
                w.WriteNumber("completion_tokens", usage.OutputTokens);
                w.WriteNumber("total_tokens", usage.TotalTokens);
                w.WriteStartObject("prompt_tokens_details");
                w.WriteNumber("cached_tokens", usage.CachedInputTokens);
                w.WriteEndObject();
                w.WriteStartObject("completion_tokens_details");
                w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
