using System.Text.Json;

namespace BatchAspire.Cli.Server;

/// <summary>
/// Where the server is and which key to present: --url/--api-key, else BATCHASPIRE_URL/BATCHASPIRE_API_KEY,
/// else ~/.config/batchaspire/config.json (<c>{"url","api_key"}</c>), else http://localhost:5080.
/// </summary>
public sealed record ServerSettings(Uri Url, string? ApiKey)
{
    public const string DefaultUrl = "http://localhost:5080";
    public const string UrlVariable = "BATCHASPIRE_URL";
    public const string ApiKeyVariable = "BATCHASPIRE_API_KEY";

    public static string ConfigFilePath =>
        Path.Combine(
            Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"),
            "batchaspire", "config.json");

    public static ServerSettings Resolve(string? url, string? apiKey)
    {
        url = NullIfEmpty(url) ?? NullIfEmpty(Environment.GetEnvironmentVariable(UrlVariable));
        apiKey = NullIfEmpty(apiKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable(ApiKeyVariable));
        if (url is null || apiKey is null)
        {
            var file = ReadConfigFile();
            url ??= NullIfEmpty(file?.Url);
            apiKey ??= NullIfEmpty(file?.ApiKey);
        }
        url ??= DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"'{url}' is not an http(s) URL. Set --url or {UrlVariable} to the BatchAspire Api, e.g. {DefaultUrl}.");
        }
        return new ServerSettings(uri, apiKey);
    }

    private static ConfigFile? ReadConfigFile()
    {
        var path = ConfigFilePath;
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(path), Core.BatchJson.Options);
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not valid JSON ({ex.Message}); expected {{\"url\": \"...\", \"api_key\": \"...\"}}.");
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>Never shows the key, so a settings object printed by mistake leaks nothing.</summary>
    public override string ToString() => $"{Url} (API key {(ApiKey is null ? "not set" : "set")})";

    private sealed record ConfigFile(string? Url, string? ApiKey);
}
