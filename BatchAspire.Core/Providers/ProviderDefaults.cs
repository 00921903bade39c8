using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BatchAspire.Core.Providers;

/// <summary>
/// The built-in providers, filled in under whatever configuration gives: <c>openai</c> (key from
/// <c>OPENAI_API_KEY</c>), <c>anthropic</c> (<c>ANTHROPIC_API_KEY</c>, models <c>claude-*</c>),
/// <c>gemini</c> (<c>GEMINI_API_KEY</c>, models <c>gemini-*</c>) and <c>sim</c>, the simulator that is always available.
/// </summary>
public sealed class ProviderDefaults(IConfiguration configuration) : IPostConfigureOptions<ProvidersOptions>
{
    public void PostConfigure(string? name, ProvidersOptions options)
    {
        var openai = GetOrAdd(options, "openai");
        openai.Type ??= ProviderTypes.OpenAI;
        openai.BaseUrl ??= "https://api.openai.com/v1";
        openai.ApiKey ??= configuration["OPENAI_API_KEY"];
        if (openai.Models.Count == 0) openai.Models.AddRange(["gpt-*", "o1*", "o3*", "o4*", "text-embedding-*"]);

        var anthropic = GetOrAdd(options, "anthropic");
        anthropic.Type ??= ProviderTypes.Anthropic;
        anthropic.BaseUrl ??= "https://api.anthropic.com/v1";
        anthropic.ApiKey ??= configuration["ANTHROPIC_API_KEY"];
        if (anthropic.Models.Count == 0) anthropic.Models.Add("claude-*");

        var gemini = GetOrAdd(options, "gemini");
        gemini.Type ??= ProviderTypes.Gemini;
        gemini.BaseUrl ??= "https://generativelanguage.googleapis.com/v1beta";
        gemini.ApiKey ??= configuration["GEMINI_API_KEY"];
        if (gemini.Models.Count == 0) gemini.Models.Add("gemini-*");

        foreach (var provider in options.Values)
        {
            if (string.Equals(provider.Type, ProviderTypes.AzureOpenAI, StringComparison.OrdinalIgnoreCase)) provider.ApiVersion ??= "2024-10-21";
            if (string.Equals(provider.Type, ProviderTypes.Anthropic, StringComparison.OrdinalIgnoreCase)) provider.ApiVersion ??= "2023-06-01";
        }

        var sim = GetOrAdd(options, "sim");
        sim.Type ??= ProviderTypes.Simulated;
        if (sim.Models.Count == 0) sim.Models.Add("sim-*");
    }

    private static ProviderOptions GetOrAdd(ProvidersOptions options, string name)
    {
        if (!options.TryGetValue(name, out var provider))
        {
            provider = new ProviderOptions();
            options[name] = provider;
        }
        return provider;
    }
}

/// <summary>A bad provider entry stops start-up with a message naming the key to fix.</summary>
public sealed class ProvidersValidation : IValidateOptions<ProvidersOptions>
{
    public ValidateOptionsResult Validate(string? name, ProvidersOptions options)
    {
        var errors = new List<string>();
        foreach (var (provider, o) in options)
        {
            var key = $"{ProvidersOptions.Section}:{provider}";
            if (o.Type is null || !ProviderTypes.All.Contains(o.Type, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{key}:Type must be one of {string.Join(", ", ProviderTypes.All)} (was '{o.Type}').");
            }
            else if (!string.Equals(o.Type, ProviderTypes.Simulated, StringComparison.OrdinalIgnoreCase)
                     && !Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _))
            {
                errors.Add($"{key}:BaseUrl must be an absolute http(s) URL (was '{o.BaseUrl}').");
            }
            if (o.Models.Count == 0) errors.Add($"{key}:Models must list at least one model name or prefix (e.g. 'gpt-*').");
            if (o.FailureRate is < 0 or > 1) errors.Add($"{key}:FailureRate must be between 0 and 1.");
            if (o.RateLimitRate is < 0 or > 1) errors.Add($"{key}:RateLimitRate must be between 0 and 1.");
            foreach (var (model, l) in o.ModelLimits)
            {
                if (l.RequestsPerMinute < 0 || l.TokensPerMinute < 0 || l.MaxConcurrency < 0) errors.Add($"{key}:ModelLimits:{model} values must not be negative.");
            }
            if (o.LatencyMs < 0 || o.LatencyJitterMs < 0) errors.Add($"{key}:LatencyMs and LatencyJitterMs must not be negative.");
            if (o.DefaultMaxTokens < 1) errors.Add($"{key}:DefaultMaxTokens must be at least 1.");
            if (o.Timeout <= TimeSpan.Zero) errors.Add($"{key}:Timeout must be positive.");
            if (o.Limits.RequestsPerMinute < 0 || o.Limits.TokensPerMinute < 0 || o.Limits.MaxConcurrency < 0)
            {
                errors.Add($"{key}:Limits values must not be negative.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
