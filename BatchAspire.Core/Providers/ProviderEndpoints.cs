namespace BatchAspire.Core.Providers;

/// <summary>
/// The item <c>url</c>s BatchAspire accepts, and which provider types serve each. OpenAI-style urls name
/// OpenAI endpoints; an Anthropic or Gemini model may also be sent <c>/v1/chat/completions</c>, which is
/// translated both ways. Native bodies pass through unchanged on their own endpoint:
/// <c>/v1/messages</c> (Anthropic Messages) and <c>:generateContent</c>, also written
/// <c>/v1beta/models/{model}:generateContent</c> (Gemini; a model named in the url is the item's model).
/// </summary>
public static class ProviderEndpoints
{
    public const string ChatCompletions = "/v1/chat/completions";
    public const string AnthropicMessages = "/v1/messages";
    public const string GeminiGenerateContent = ":generateContent";

    public static readonly string[] OpenAIUrls = [ChatCompletions, "/v1/embeddings", "/v1/completions", "/v1/responses", "/v1/images/generations"];

    /// <summary>Every accepted url, as listed in errors.</summary>
    public static readonly string[] All = [.. OpenAIUrls, AnthropicMessages, GeminiGenerateContent, "/v1beta/models/{model}:generateContent"];

    /// <summary>The stored form of a url and the model it names (Gemini's long form), or null when it is not accepted.</summary>
    public static (string Url, string? Model)? Normalise(string url)
    {
        if (OpenAIUrls.Contains(url) || url == AnthropicMessages || url == GeminiGenerateContent) return (url, null);
        const string prefix = "/v1beta/models/";
        if (url.StartsWith(prefix, StringComparison.Ordinal) && url.EndsWith(GeminiGenerateContent, StringComparison.Ordinal))
        {
            var model = url[prefix.Length..^GeminiGenerateContent.Length];
            if (model.Length > 0 && !model.Contains('/') && !model.Contains(':')) return (GeminiGenerateContent, model);
        }
        return null;
    }

    public static bool IsNative(string type, string url) => type switch
    {
        ProviderTypes.Anthropic => url == AnthropicMessages,
        ProviderTypes.Gemini => url == GeminiGenerateContent,
        _ => OpenAIUrls.Contains(url),
    };

    /// <summary>Whether a provider of this type serves this (normalised) url, natively or by translation.</summary>
    public static bool Serves(string type, string url) => IsNative(type, url) || (type is ProviderTypes.Anthropic or ProviderTypes.Gemini && url == ChatCompletions);
}
