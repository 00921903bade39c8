using System.Buffers;
using System.Text.Json;

namespace BatchAspire.Core.Providers.Translation;

/// <summary>
/// An OpenAI chat-completions body as a Gemini generateContent body: system/developer messages →
/// <c>systemInstruction</c>, turns → <c>contents</c> with roles <c>user</c>/<c>model</c>, image parts →
/// <c>inlineData</c> (data: URLs) or <c>fileData</c> (http(s) URLs, type from the extension), and
/// <c>generationConfig</c> from max_tokens, temperature, top_p, stop, seed, penalties and json_object.
/// Input passed <see cref="ChatTranslation.Check"/>.
/// </summary>
public static class ChatToGemini
{
    public static byte[] Translate(JsonElement chat)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            var messages = chat.GetProperty("messages");
            var system = messages.EnumerateArray()
                .Where(m => m.GetProperty("role").GetString() is "system" or "developer")
                .Select(m => ChatTranslation.Text(m.GetProperty("content")))
                .ToList();
            if (system.Count > 0)
            {
                w.WriteStartObject("systemInstruction");
                w.WriteStartArray("parts");
                foreach (var text in system)
                {
                    w.WriteStartObject();
                    w.WriteString("text", text);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteStartArray("contents");
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.GetProperty("role").GetString();
                if (role is not ("user" or "assistant")) continue;
                w.WriteStartObject();
                w.WriteString("role", role == "assistant" ? "model" : "user");
                w.WriteStartArray("parts");
                var content = message.GetProperty("content");
                if (content.ValueKind == JsonValueKind.String)
                {
                    w.WriteStartObject();
                    w.WriteString("text", content.GetString());
                    w.WriteEndObject();
                }
                else
                {
                    foreach (var part in content.EnumerateArray()) WritePart(w, part);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartObject("generationConfig");
            if (ChatTranslation.MaxTokens(chat) is { } max) w.WriteNumber("maxOutputTokens", max);
            if (chat.TryGetProperty("temperature", out var temperature)) w.WriteNumber("temperature", temperature.GetDouble());
            if (chat.TryGetProperty("top_p", out var topP)) w.WriteNumber("topP", topP.GetDouble());
            if (chat.TryGetProperty("seed", out var seed)) w.WriteNumber("seed", seed.GetInt64());
            if (chat.TryGetProperty("presence_penalty", out var presence)) w.WriteNumber("presencePenalty", presence.GetDouble());
            if (chat.TryGetProperty("frequency_penalty", out var frequency)) w.WriteNumber("frequencyPenalty", frequency.GetDouble());
            if (chat.TryGetProperty("stop", out var stop) && ChatTranslation.Stops(stop) is { Count: > 0 } stops)
            {
                w.WriteStartArray("stopSequences");
                foreach (var s in stops) w.WriteStringValue(s);
                w.WriteEndArray();
            }
            if (chat.TryGetProperty("response_format", out var format) && format.GetProperty("type").ValueEquals("json_object"))
            {
                w.WriteString("responseMimeType", "application/json");
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePart(Utf8JsonWriter w, JsonElement part)
    {
        w.WriteStartObject();
        if (part.GetProperty("type").ValueEquals("text"))
        {
            w.WriteString("text", part.GetProperty("text").GetString());
        }
        else
        {
            var image = ChatImage.Parse(ChatTranslation.ImageUrl(part)!)!;
            if (image.Data is not null)
            {
                w.WriteStartObject("inlineData");
                w.WriteString("mimeType", image.MediaType);
                w.WriteString("data", image.Data);
            }
            else
            {
                w.WriteStartObject("fileData");
                w.WriteString("mimeType", image.MediaType);
                w.WriteString("fileUri", image.Url);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
