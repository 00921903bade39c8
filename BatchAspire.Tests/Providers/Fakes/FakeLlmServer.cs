using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using BatchAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BatchAspire.Tests.Providers.Fakes;

/// <summary>
/// A real HTTP server on loopback speaking the OpenAI (and Azure OpenAI), Anthropic Messages and Gemini
/// generateContent wire formats, with their auth headers, error bodies, rate-limit headers and usage shapes.
/// Behaviour is chosen per request by markers in the prompt, so concurrent items behave independently:
/// <c>[[429]]</c>, <c>[[529]]</c>, <c>[[500]]</c>, <c>[[400]]</c>, <c>[[quota]]</c> (Anthropic: credit balance
/// 400; Gemini: per-day 429; OpenAI: insufficient_quota), <c>[[billing]]</c> (Anthropic 402), <c>[[spend]]</c>
/// (Anthropic spend limit 400), <c>[[minute]]</c> (Gemini per-minute 429), <c>[[echo]]</c> (a 400 echoing
/// every request header, as a misbehaving proxy would); <c>[[429*2]]</c> fails the first 2 times only.
/// <c>[[cache]]</c> reports fixed cache and reasoning usage; <c>[[fill]]</c> writes the whole output limit.
/// Most provider tests now use the shared BatchAspire.FakeProvider (see ProviderHarness.StartAsync); this one remains
/// for what that server does not do: Azure deployment urls, image generations, answers with thinking blocks and
/// several text parts, Anthropic input/output token headers, and different cache usage per provider in one run.
/// </summary>
public sealed class FakeLlmServer : IAsyncDisposable
{
    public const string ApiKey = "fake-key";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _failures = new();

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();
    public string BaseUrl { get; }

    private FakeLlmServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeLlmServer> StartAsync()
    {
        var port = TestStores.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeLlmServer(app, $"http://127.0.0.1:{port}");
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            using var reader = new StreamReader(context.Request.Body, leaveOpen: true);
            var body = await reader.ReadToEndAsync();
            context.Request.Body.Position = 0;
            server.Requests.Enqueue(new ReceivedRequest(context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
            context.Items["body"] = body;
            await next();
        });
        FakeOpenAIEndpoints.Map(app, server);
        FakeAnthropicEndpoints.Map(app, server);
        FakeGeminiEndpoints.Map(app, server);
        await app.StartAsync();
        return server;
    }

    public IEnumerable<ReceivedRequest> RequestsTo(string pathPart) => Requests.Where(r => r.Path.Contains(pathPart, StringComparison.Ordinal));

    /// <summary>The failure marker to act on for this request body, counting <c>[[kind*N]]</c> attempts.</summary>
    internal string? Failure(string body)
    {
        foreach (Match m in Regex.Matches(body, @"\[\[(429|529|500|400|quota|billing|spend|minute|echo)(?:\*(\d+))?\]\]"))
        {
            if (!m.Groups[2].Success) return m.Groups[1].Value;
            var seen = _failures.AddOrUpdate(body + m.Value, 1, (_, n) => n + 1);
            if (seen <= int.Parse(m.Groups[2].Value)) return m.Groups[1].Value;
        }
        return null;
    }

    /// <summary>Any key but a missing one or the word "wrong" is accepted, so tests can send marker keys.</summary>
    internal static bool ValidKey(string? key) => !string.IsNullOrEmpty(key) && key != "wrong";

    internal static bool Has(string body, string marker) => body.Contains($"[[{marker}]]", StringComparison.Ordinal);

    /// <summary>A deterministic prompt size: the words of the text given (OpenAI: of its messages, keys included).</summary>
    internal static int Words(string body) => Math.Max(1, Regex.Matches(body, @"[A-Za-z]+").Count);

    internal static string AllHeaders(HttpContext context) =>
        string.Join("; ", context.Request.Headers.Select(h => $"{h.Key}: {h.Value}"));

    internal static Task Json(HttpContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ReceivedRequest(string Path, Dictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}
