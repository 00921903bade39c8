using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using BatchAspire.FakeProvider;
using Microsoft.ML.Tokenizers;
using Xunit;

namespace BatchAspire.Tests.FakeProvider;

/// <summary>Plain HTTP calls to a running fake, the way any OpenAI client would make them.</summary>
internal static class FakeProviderCalls
{
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static HttpClient Client(FakeProviderServer fake, string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(fake.BaseUrl + "/") };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    public static Task<HttpResponseMessage> ChatAsync(
        this HttpClient client, string text = "Hello", int? maxTokens = null, string? customId = null) =>
        client.PostJsonAsync("chat/completions", ChatBody(text, maxTokens), customId);

    public static JsonObject ChatBody(string text, int? maxTokens = null)
    {
        var body = new JsonObject
        {
            ["model"] = "gpt-4o-mini",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        };
        if (maxTokens is { } max)
        {
            body["max_tokens"] = max;
        }

        return body;
    }

    public static async Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, JsonNode body, string? customId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (customId is not null)
        {
            request.Headers.Add("X-Client-Request-Id", customId);
        }

        return await client.SendAsync(request, Ct);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).Clone();

    public static string Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    /// <summary>o200k_base tokens of a text, counted independently of the fake.</summary>
    public static int Tokens(string text) => O200k.Value.CountTokens(text);

    /// <summary>The documented rule for one user message: 3 (reply priming) + 3 (message) + tokens(content).</summary>
    public static int PromptTokensOfOneMessage(string text) => 3 + 3 + Tokens(text);
}
