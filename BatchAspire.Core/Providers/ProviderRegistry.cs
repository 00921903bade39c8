using System.Collections.Concurrent;
using BatchAspire.Core.Providers.Anthropic;
using BatchAspire.Core.Providers.Gemini;
using BatchAspire.Core.Providers.OpenAI;
using BatchAspire.Core.Providers.Simulated;
using Microsoft.Extensions.Options;

namespace BatchAspire.Core.Providers;

/// <summary>Resolves a model name to its provider, and hands out one client per provider.</summary>
public sealed class ProviderRegistry(IOptions<ProvidersOptions> options, IHttpClientFactory httpClients, TimeProvider time)
{
    public const string HttpClientName = "provider";
    private readonly ConcurrentDictionary<string, IProviderClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, ProviderOptions> Providers => options.Value;

    /// <summary>
    /// <c>provider/model</c> names the provider explicitly; otherwise the provider whose Models list matches
    /// (an exact name beats a prefix, a longer prefix beats a shorter one). Null when nothing serves it.
    /// </summary>
    public ModelRoute? Resolve(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return null;
        var slash = model.IndexOf('/');
        if (slash > 0 && options.Value.ContainsKey(model[..slash]) && slash < model.Length - 1)
        {
            return new ModelRoute(options.Value.Keys.First(k => k.Equals(model[..slash], StringComparison.OrdinalIgnoreCase)), model[(slash + 1)..]);
        }

        string? best = null;
        var bestScore = -1;
        foreach (var (name, provider) in options.Value)
        {
            foreach (var pattern in provider.Models)
            {
                var score = pattern.EndsWith('*')
                    ? model.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase) ? pattern.Length - 1 : -1
                    : string.Equals(pattern, model, StringComparison.OrdinalIgnoreCase) ? int.MaxValue : -1;
                if (score > bestScore)
                {
                    bestScore = score;
                    best = name;
                }
            }
        }
        return best is null ? null : new ModelRoute(best, model);
    }

    public IProviderClient GetClient(string provider) => _clients.GetOrAdd(provider, Create);

    /// <summary>The provider's type (<see cref="ProviderTypes"/>), lower case.</summary>
    public string TypeOf(string provider) => options.Value[provider].Type?.ToLowerInvariant() ?? "";

    private IProviderClient Create(string name)
    {
        var provider = options.Value[name];
        return provider.Type?.ToLowerInvariant() switch
        {
            ProviderTypes.Simulated => new SimulatedProvider(provider, time),
            ProviderTypes.OpenAI or ProviderTypes.AzureOpenAI => new OpenAIProvider(name, provider, httpClients),
            ProviderTypes.Anthropic => new AnthropicProvider(name, provider, httpClients),
            ProviderTypes.Gemini => new GeminiProvider(name, provider, httpClients),
            var type => throw new NotSupportedException($"Provider '{name}' has Type '{type}', which this build cannot call yet."),
        };
    }
}
