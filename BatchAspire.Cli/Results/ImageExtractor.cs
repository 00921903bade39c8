using System.Text;
using System.Text.Json;

namespace BatchAspire.Cli.Results;

/// <summary>An image found in a provider response: its MIME type and base64 data.</summary>
public sealed record ResponseImage(string MimeType, string Base64);

/// <summary>
/// Finds images in a provider response body: OpenAI images (<c>data[].b64_json</c>), Gemini
/// (<c>candidates[].content.parts[].inlineData</c>) and chat messages with <c>image_url</c> parts holding a <c>data:</c> URL.
/// </summary>
public static class ImageExtractor
{
    public static List<ResponseImage> Find(JsonElement response)
    {
        var images = new List<ResponseImage>();
        if (response.ValueKind != JsonValueKind.Object) return images;

        if (response.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            var mime = response.TryGetProperty("output_format", out var f) && f.ValueKind == JsonValueKind.String ? "image/" + f.GetString() : "image/png";
            foreach (var entry in data.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("b64_json", out var b64) && b64.ValueKind == JsonValueKind.String)
                {
                    images.Add(new ResponseImage(mime, b64.GetString()!));
                }
            }
        }

        foreach (var candidate in Array(response, "candidates"))
        {
            if (!candidate.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Object) continue;
            foreach (var part in Array(content, "parts"))
            {
                if ((part.TryGetProperty("inlineData", out var inline) || part.TryGetProperty("inline_data", out inline)) && inline.ValueKind == JsonValueKind.Object
                    && inline.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String)
                {
                    var mime = (inline.TryGetProperty("mimeType", out var m) || inline.TryGetProperty("mime_type", out m)) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "image/png";
                    images.Add(new ResponseImage(mime, d.GetString()!));
                }
            }
        }

        foreach (var choice in Array(response, "choices"))
        {
            if (!choice.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object) continue;
            if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array) AddDataUrls(content, images);
            // Some OpenAI-compatible servers put generated images beside the text content.
            if (message.TryGetProperty("images", out var extra) && extra.ValueKind == JsonValueKind.Array) AddDataUrls(extra, images);
        }
        return images;
    }

    private static void AddDataUrls(JsonElement parts, List<ResponseImage> images)
    {
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || !type.ValueEquals("image_url")) continue;
            if (!part.TryGetProperty("image_url", out var imageUrl)) continue;
            var url = imageUrl.ValueKind == JsonValueKind.String ? imageUrl.GetString()
                : imageUrl.ValueKind == JsonValueKind.Object && imageUrl.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            if (ParseDataUrl(url) is { } image) images.Add(image);
        }
    }

    /// <summary><c>data:image/png;base64,AAAA</c> → (image/png, AAAA); anything else (http URLs, no base64) → null.</summary>
    public static ResponseImage? ParseDataUrl(string? url)
    {
        if (url is null || !url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return null;
        var comma = url.IndexOf(',');
        if (comma < 0) return null;
        var header = url[5..comma];
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase)) return null;
        var mime = header[..^";base64".Length];
        return new ResponseImage(mime.Length == 0 ? "image/png" : mime, url[(comma + 1)..]);
    }

    public static string Extension(string mimeType) => mimeType.ToLowerInvariant() switch
    {
        "image/jpeg" or "image/jpg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "image/svg+xml" => "svg",
        "image/bmp" => "bmp",
        "image/tiff" => "tiff",
        _ => "png",
    };

    /// <summary>A custom_id made safe as a file name on every OS.</summary>
    public static string SafeFileName(string customId)
    {
        var sb = new StringBuilder(Math.Min(customId.Length, 100));
        foreach (var ch in customId)
        {
            if (sb.Length == 100) break;
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_');
        }
        var name = sb.ToString().TrimStart('.');
        return name.Length == 0 ? "item" : name;
    }

    private static IEnumerable<JsonElement> Array(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object)
            : [];
}
