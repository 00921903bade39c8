using System.Globalization;
using System.Text.Json;

namespace BatchAspire.Core.Providers.Translation;

/// <summary>
/// Which OpenAI chat-completions requests can be translated for a provider that speaks another wire format,
/// checked at submit time so nothing untranslatable is stored. Translated: system/developer messages,
/// user/assistant turns with text and image parts, <c>max_tokens</c>/<c>max_completion_tokens</c>,
/// <c>temperature</c>, <c>top_p</c>, <c>stop</c>, <c>n</c>=1, <c>stream</c>=false, <c>user</c> and
/// <c>response_format</c> text (plus, for Gemini, json_object, <c>seed</c>, <c>presence_penalty</c> and
/// <c>frequency_penalty</c>). Anything else (tools, logprobs, json_schema, audio, …) is refused by name.
/// </summary>
public static class ChatTranslation
{
    public const string Anthropic = ProviderTypes.Anthropic;
    public const string Gemini = ProviderTypes.Gemini;

    private static readonly HashSet<string> Common =
        ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "n", "stream", "user", "response_format"];
    private static readonly HashSet<string> GeminiOnly = ["seed", "presence_penalty", "frequency_penalty"];

    /// <summary>A problem: the JSON path under the body (<c>tools</c>, <c>messages[2].content[1]</c>) and why.</summary>
    public sealed record Problem(string Path, string Message);

    public static Problem? Check(JsonElement body, string target)
    {
        var name = target == Anthropic ? "Anthropic Messages" : "Gemini generateContent";
        foreach (var property in body.EnumerateObject())
        {
            if (Common.Contains(property.Name) || (target == Gemini && GeminiOnly.Contains(property.Name))) continue;
            return new(property.Name, $"'{property.Name}' cannot be translated to the {name} API; remove it, or send the provider's native request instead.");
        }
        if (body.TryGetProperty("n", out var n) && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var count) && count == 1))
        {
            return new("n", $"Only n=1 can be translated to the {name} API (it returns one choice).");
        }
        if (body.TryGetProperty("stream", out var stream) && stream.ValueKind != JsonValueKind.False)
        {
            return new("stream", "Batch items are never streamed; remove 'stream' or set it to false.");
        }
        if (body.TryGetProperty("response_format", out var format))
        {
            var type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type != "text" && !(target == Gemini && type == "json_object"))
            {
                return new("response_format", $"response_format '{type}' cannot be translated to the {name} API{(target == Gemini ? " (text and json_object can)" : " (only text can)")}.");
            }
        }
        foreach (var numeric in new[] { "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "presence_penalty", "frequency_penalty" })
        {
            if (body.TryGetProperty(numeric, out var v) && v.ValueKind != JsonValueKind.Number)
            {
                return new(numeric, $"'{numeric}' must be a number.");
            }
        }
        if (target == Anthropic && body.TryGetProperty("temperature", out var temperature) && temperature.GetDouble() > 1)
        {
            return new("temperature", "Anthropic accepts temperature from 0 to 1; a higher OpenAI temperature has no equivalent.");
        }
        if (body.TryGetProperty("stop", out var stop) && Stops(stop) is null)
        {
            return new("stop", "'stop' must be a string or an array of strings.");
        }
        if (body.TryGetProperty("user", out var user) && user.ValueKind != JsonValueKind.String)
        {
            return new("user", "'user' must be a string.");
        }
        return CheckMessages(body, target, name);
    }

    private static Problem? CheckMessages(JsonElement body, string target, string name)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return new("messages", "A chat completions request needs 'messages', an array.");
        }
        var turns = 0;
        var i = -1;
        foreach (var message in messages.EnumerateArray())
        {
            i++;
            var at = $"messages[{i}]";
            if (message.ValueKind != JsonValueKind.Object) return new(at, "Each message is an object with 'role' and 'content'.");
            foreach (var property in message.EnumerateObject())
            {
                if (property.Name is not ("role" or "content" or "name"))
                {
                    return new($"{at}.{property.Name}", $"'{property.Name}' in a message cannot be translated to the {name} API.");
                }
            }
            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            if (role is not ("system" or "developer" or "user" or "assistant"))
            {
                return new($"{at}.role", $"Role '{role}' cannot be translated to the {name} API (system, developer, user and assistant can).");
            }
            if (role is "user" or "assistant") turns++;
            if (!message.TryGetProperty("content", out var content)) return new($"{at}.content", "The message has no content.");
            if (content.ValueKind == JsonValueKind.String) continue;
            if (content.ValueKind != JsonValueKind.Array) return new($"{at}.content", "Content must be a string or an array of parts.");
            var j = -1;
            foreach (var part in content.EnumerateArray())
            {
                j++;
                var partAt = $"{at}.content[{j}]";
                var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var pt) ? pt.GetString() : null;
                if (type == "text")
                {
                    if (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String) return new($"{partAt}.text", "A text part needs 'text', a string.");
                    continue;
                }
                if (type == "image_url" && role == "user")
                {
                    var url = ImageUrl(part);
                    if (url is null) return new($"{partAt}.image_url.url", "An image part needs 'image_url.url', a string.");
                    if (ChatImage.Parse(url) is not { } image) return new($"{partAt}.image_url.url", "The image URL must be an http(s) URL or a base64 data: URL.");
                    if (target == Anthropic && image.Data is not null && !ChatImage.AnthropicTypes.Contains(image.MediaType))
                    {
                        return new($"{partAt}.image_url.url", $"Anthropic accepts {string.Join(", ", ChatImage.AnthropicTypes)} images, not {image.MediaType}.");
                    }
                    if (target == Gemini && image.MediaType is null)
                    {
                        return new($"{partAt}.image_url.url", "Gemini needs the image type: use a data: URL, or a URL ending in .png, .jpg, .jpeg, .webp, .gif, .heic or .heif.");
                    }
                    continue;
                }
                var what = type == "image_url" ? "An image in a system or assistant message" : $"A '{type}' part";
                return new(partAt, $"{what} cannot be translated to the {name} API (text parts, and image parts in user messages, can).");
            }
        }
        return turns == 0 ? new("messages", $"The {name} API needs at least one user or assistant message.") : null;
    }

    internal static string? ImageUrl(JsonElement part) =>
        part.TryGetProperty("image_url", out var image)
            ? image.ValueKind == JsonValueKind.String ? image.GetString()
            : image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null
            : null;

    /// <summary>The stop sequences of <c>stop</c> (a string or an array of strings), or null when malformed.</summary>
    public static List<string>? Stops(JsonElement stop) => stop.ValueKind switch
    {
        JsonValueKind.Null => [],
        JsonValueKind.String => [stop.GetString()!],
        JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) => [.. stop.EnumerateArray().Select(s => s.GetString()!)],
        _ => null,
    };

    /// <summary>The text of a message's content (a string, or its text parts joined).</summary>
    internal static string Text(JsonElement content) => content.ValueKind == JsonValueKind.String
        ? content.GetString() ?? ""
        : string.Join("\n", content.EnumerateArray().Where(p => p.TryGetProperty("type", out var t) && t.ValueEquals("text")).Select(p => p.GetProperty("text").GetString()));

    /// <summary><c>max_completion_tokens</c> wins over <c>max_tokens</c>; null when neither is set.</summary>
    public static int? MaxTokens(JsonElement body)
    {
        foreach (var name in new[] { "max_completion_tokens", "max_tokens" })
        {
            if (body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)) return n;
        }
        return null;
    }

    /// <summary>A translated answer's <c>created</c>: providers other than OpenAI do not say when.</summary>
    internal static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    internal static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>An image part's URL: a base64 <c>data:</c> URL (type and data) or an http(s) URL (type guessed from its extension).</summary>
public sealed record ChatImage(string? MediaType, string? Data, string? Url)
{
    public static readonly string[] AnthropicTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    public static ChatImage? Parse(string url)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',');
            var header = comma > 5 ? url[5..comma] : "";
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase) || comma + 1 >= url.Length) return null;
            return new ChatImage(header[..^";base64".Length].ToLowerInvariant(), url[(comma + 1)..], null);
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;
        var type = Path.GetExtension(uri.AbsolutePath).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            ".gif" => "image/gif",
            ".heic" => "image/heic",
            ".heif" => "image/heif",
            _ => null,
        };
        return new ChatImage(type, null, url);
    }
}
