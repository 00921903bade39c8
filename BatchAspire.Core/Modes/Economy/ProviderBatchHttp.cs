using System.Net;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;

namespace BatchAspire.Core.Modes.Economy;

/// <summary>
/// One call to a provider's batch API, shared by every batch client: a success is its JSON body; anything else is
/// a refusal the runner understands (403 batches not enabled; 408, 429 and 5xx try later; the rest rejected),
/// with the provider's own error as classified by its realtime classifier.
/// </summary>
public static class ProviderBatchHttp
{
    public static async Task<(JsonElement? Body, BatchRefusal? Refusal)> SendAsync(
        IHttpClientFactory httpClients, HttpRequestMessage message, string provider, ProviderOptions options,
        Func<HttpResponseMessage, byte[], ProviderResponse> classify, CancellationToken cancellationToken)
    {
        var (answer, failure) = await ProviderHttp.SendAsync(httpClients, message, provider, options, cancellationToken);
        if (answer is null) return (null, new BatchRefusal(BatchRefusalKind.TryLater, null, failure!.Error ?? new ItemError("connection_error", "The provider could not be reached.")));
        using var response = answer.Response;
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode) return (JsonDocument.Parse(answer.Body).RootElement.Clone(), null);
        var error = classify(response, answer.Body).Error ?? new ItemError($"http_{status}", $"Provider '{provider}' answered {status}.");
        var kind = response.StatusCode switch
        {
            HttpStatusCode.Forbidden => BatchRefusalKind.NotEnabled,
            HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => BatchRefusalKind.TryLater,
            _ when status >= 500 => BatchRefusalKind.TryLater,
            _ => BatchRefusalKind.Rejected,
        };
        return (null, new BatchRefusal(kind, status, error));
    }
}
