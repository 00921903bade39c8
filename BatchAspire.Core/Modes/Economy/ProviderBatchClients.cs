using System.Collections.Concurrent;
using BatchAspire.Core.Modes.Economy.Anthropic;
using BatchAspire.Core.Modes.Economy.Gemini;
using BatchAspire.Core.Modes.Economy.OpenAI;
using BatchAspire.Core.Providers;

namespace BatchAspire.Core.Modes.Economy;

/// <summary>One batch client per provider, by the provider's type.</summary>
public sealed class ProviderBatchClients(ProviderRegistry providers, IHttpClientFactory httpClients)
{
    private readonly ConcurrentDictionary<string, IProviderBatchClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Provider types whose batch API this build speaks.</summary>
    public static bool Supports(string type) => type is ProviderTypes.OpenAI or ProviderTypes.Anthropic or ProviderTypes.Gemini;

    public IProviderBatchClient Get(string provider) => _clients.GetOrAdd(provider, name =>
    {
        var options = providers.Providers[name];
        return providers.TypeOf(name) switch
        {
            ProviderTypes.OpenAI => new OpenAIBatchClient(name, options, httpClients),
            ProviderTypes.Anthropic => new AnthropicBatchClient(name, options, httpClients),
            ProviderTypes.Gemini => new GeminiBatchClient(name, options, httpClients),
            var type => throw new NotSupportedException($"Provider '{name}' (type {type}) has no batch API in this build."),
        };
    });
}
