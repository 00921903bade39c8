using System.Buffers;
using System.Text.Json;

namespace BatchAspire.Core.Providers.Translation;

/// <summary>
/// An OpenAI chat-completions body as an Anthropic Messages body: system/developer messages → <c>system</c>,
/// turns → <c>messages</c>, image parts → <c>image</c> blocks (base64 or url source), <c>stop</c> →
/// <c>stop_sequences</c>, <c>user</c> → <c>metadata.user_id</c>. Anthropic requires <c>max_tokens</c>: when the
/// request sets neither <c>max_tokens</c> nor <c>max_completion_tokens</c>, <paramref name="defaultMaxTokens"/>
/// (ProviderOptions.DefaultMaxTokens, 4096 unless configured) is sent. Input passed <see cref="ChatTranslation.Check"/>.
/// </summary>
public static class ChatToAnthropic
{
    public static byte[] Translate(JsonElement chat, string model, int defaultMaxTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteNumber("max_tokens", ChatTranslation.MaxTokens(chat) ?? defaultMaxTokens);

            var messages = chat.GetProperty("messages");
            var system = messages.EnumerateArray()
                .Where(m => m.GetProperty("role").GetString() is "system" or "developer")
                .Select(m => ChatTranslation.Text(m.GetProperty("content")))
                .ToList();
            if (system.Count > 0) w.WriteString("system", string.Join("\n\n", system));

            w.WriteStartArray("messages");
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.GetProperty("role").GetString();
                if (role is not ("user" or "assistant")) continue;
                w.WriteStartObject();
                w.WriteString("role", role);
                var content = message.GetProperty("content");
                if (content.ValueKind == JsonValueKind.String)
                {
                    w.WriteString("content", content.GetString());
                }
                else
                {
                    w.WriteStartArray("content");
                    foreach (var part in content.EnumerateArray()) WritePart(w, part);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();

            if (chat.TryGetProperty("temperature", out var temperature)) w.WriteNumber("temperature", temperature.GetDouble());
            if (chat.TryGetProperty("top_p", out var topP)) w.WriteNumber("top_p", topP.GetDouble());
            if (chat.TryGetProperty("stop", out var stop) && ChatTranslation.Stops(stop) is { Count: > 0 } stops)
            {
                w.WriteStartArray("stop_sequences");
                foreach (var s in stops) w.WriteStringValue(s);
                w.WriteEndArray();
            }
            if (chat.TryGetProperty("user", out var user))
            {
                w.WriteStartObject("metadata");
                w.WriteString("user_id", user.GetString());
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePart(Utf8JsonWriter w, JsonElement part)
    {
        w.WriteStartObject();
        if (part.GetProperty("type").ValueEquals("text"))
        {
            w.WriteString("type", "text");
            w.WriteString("text", part.GetProperty("text").GetString());
        }
        else
        {
            var image = ChatImage.Parse(ChatTranslation.ImageUrl(part)!)!;
            w.WriteString("type", "image");
            w.WriteStartObject("source");
            if (image.Data is not null)
            {
                w.WriteString("type", "base64");
                w.WriteString("media_type", image.MediaType);
                w.WriteString("data", image.Data);
            }
            else
            {
                w.WriteString("type", "url");
                w.WriteString("url", image.Url);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
