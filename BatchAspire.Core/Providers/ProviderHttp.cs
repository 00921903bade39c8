using System.Net.Http.Headers;
using System.Text;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers;

/// <summary>
/// The one way a provider client sends a call: per-attempt timeout, connection failures as transient
/// outcomes, and the provider key scrubbed from whatever comes back, so a provider that echoes request
/// headers in an error (some proxies do) cannot put the key into a stored result, a log or a trace.
/// </summary>
public static class ProviderHttp
{
    public const string Redacted = "[redacted]";

    public sealed record Answer(HttpResponseMessage Response, byte[] Body);

    /// <summary>The answer, or the classified failure when there is none.</summary>
    public static async Task<(Answer? Answer, ProviderResponse? Failure)> SendAsync(
        IHttpClientFactory httpClients, HttpRequestMessage message, string name, ProviderOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            var response = await httpClients.CreateClient(ProviderRegistry.HttpClientName)
                .SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            return (new Answer(response, Redact(body, options.ApiKey)), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new ItemError("timeout", $"Provider '{name}' did not answer within {options.Timeout.TotalSeconds:0.#} s.");
            return (null, new ProviderResponse(ProviderOutcome.Transient, null, null, Error: error));
        }
        catch (HttpRequestException ex)
        {
            // The message names the failure (connection refused, reset) but never a header, so no key can leak.
            var error = new ItemError("connection_error", $"Provider '{name}' could not be reached: {ex.HttpRequestError}.");
            return (null, new ProviderResponse(ProviderOutcome.Transient, null, null, Error: error));
        }
    }

    public static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>The body with every occurrence of the key replaced (JSON-escaped forms too).</summary>
    public static byte[] Redact(byte[] body, string? key)
    {
        if (string.IsNullOrEmpty(key) || body.Length < key.Length) return body;
        var secret = Encoding.UTF8.GetBytes(key);
        if (body.AsSpan().IndexOf(secret) < 0)
        {
            var escaped = Encoding.UTF8.GetBytes(System.Text.Json.JsonEncodedText.Encode(key).ToString());
            if (escaped.Length == secret.Length || body.AsSpan().IndexOf(escaped) < 0) return body;
            secret = escaped;
        }
        var replacement = Encoding.UTF8.GetBytes(Redacted);
        var output = new List<byte>(body.Length);
        var span = body.AsSpan();
        int at;
        while ((at = span.IndexOf(secret)) >= 0)
        {
            output.AddRange(span[..at]);
            output.AddRange(replacement);
            span = span[(at + secret.Length)..];
        }
        output.AddRange(span);
        return [.. output];
    }

    public static string Redact(string text, string? key) =>
        string.IsNullOrEmpty(key) ? text : text.Replace(key, Redacted, StringComparison.Ordinal);

    public static bool IsHeaderSafe(string value) =>
        value.Length is > 0 and <= 256 && value.All(c => c is >= ' ' and <= '~');
}
