namespace BatchAspire.Core.Providers;

/// <summary>
/// The providers BatchAspire can call, by name: section <c>BatchAspire:Providers:{name}</c>.
/// Built-in <c>openai</c> and <c>sim</c> entries are always present and can be overridden key by key.
/// </summary>
public sealed class ProvidersOptions : Dictionary<string, ProviderOptions>
{
    public const string Section = "BatchAspire:Providers";

    public ProvidersOptions() : base(StringComparer.OrdinalIgnoreCase) { }
}

public sealed class ProviderOptions
{
    /// <summary>
    /// <c>openai</c> (any OpenAI-compatible server), <c>azure-openai</c> (Azure OpenAI deployments),
    /// <c>anthropic</c> (Messages API), <c>gemini</c> (generateContent) or <c>simulated</c>.
    /// </summary>
    public string? Type { get; set; }

    /// <summary>
    /// Base URL including the version segment, e.g. <c>https://api.openai.com/v1</c>,
    /// <c>https://api.anthropic.com/v1</c>, <c>https://generativelanguage.googleapis.com/v1beta</c>;
    /// for <c>azure-openai</c> the resource endpoint, e.g. <c>https://my-resource.openai.azure.com</c>.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>The provider key. Never logged, traced, stored or returned.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Model names this provider serves; a trailing <c>*</c> matches a prefix (<c>gpt-*</c>).</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Per-attempt timeout of one provider call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    public ProviderLimits Limits { get; set; } = new();

    /// <summary>
    /// <c>azure-openai</c>: the <c>api-version</c> query parameter (default <c>2024-10-21</c>);
    /// <c>anthropic</c>: the <c>anthropic-version</c> header (default <c>2023-06-01</c>).
    /// </summary>
    public string? ApiVersion { get; set; }

    /// <summary><c>azure-openai</c>: model name → deployment name; a model not listed is its own deployment name.</summary>
    public Dictionary<string, string> Deployments { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <c>anthropic</c>: the <c>max_tokens</c> sent when a translated chat request sets neither
    /// <c>max_tokens</c> nor <c>max_completion_tokens</c> (the Messages API requires one). Default 4096.
    /// </summary>
    public int DefaultMaxTokens { get; set; } = 4096;
    /// <summary>Per-model overrides of <see cref="Limits"/> (<c>ModelLimits:{model}:RequestsPerMinute</c>); a 0 keeps the provider's value.</summary>
    public Dictionary<string, ProviderLimits> ModelLimits { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    // Simulated provider only.
    public double LatencyMs { get; set; }
    public double LatencyJitterMs { get; set; }
    public double FailureRate { get; set; }
    /// <summary>Fraction of calls the simulator answers with a 429 <c>rate_limit_exceeded</c>.</summary>
    public double RateLimitRate { get; set; }
}

/// <summary>Limits of one limit scope (provider account + model). 0 means not configured.</summary>
public sealed class ProviderLimits
{
    public int RequestsPerMinute { get; set; }
    public int TokensPerMinute { get; set; }
    public int MaxConcurrency { get; set; }
    /// <summary>Estimated prompt tokens the provider lets wait in batches at once (OpenAI's batch queue limit); waves keep under it.</summary>
    public long EnqueuedTokens { get; set; }
}

public static class ProviderTypes
{
    public const string OpenAI = "openai";
    public const string AzureOpenAI = "azure-openai";
    public const string Anthropic = "anthropic";
    public const string Gemini = "gemini";
    public const string Simulated = "simulated";

    public static readonly string[] All = [OpenAI, AzureOpenAI, Anthropic, Gemini, Simulated];

    /// <summary>The wire format a provider type speaks natively, for deciding which endpoints its items may target.</summary>
    public static bool SpeaksOpenAI(string? type) =>
        type is not null && (type.Equals(OpenAI, StringComparison.OrdinalIgnoreCase)
            || type.Equals(AzureOpenAI, StringComparison.OrdinalIgnoreCase)
            || type.Equals(Simulated, StringComparison.OrdinalIgnoreCase));
}
