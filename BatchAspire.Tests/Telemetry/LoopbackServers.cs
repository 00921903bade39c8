using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BatchAspire.Tests.Telemetry;

/// <summary>Tiny real HTTP servers on 127.0.0.1 for telemetry tests: an OpenAI-compatible chat endpoint and an OTLP/HTTP receiver.</summary>
public static class LoopbackServers
{
    public const string ResponseId = "chatcmpl-loopback-42";
    public const string ResponseModel = "loop-1-2025-01-01";

    /// <summary>Answers every <c>POST /v1/chat/completions</c> with one fixed chat.completion (11 prompt, 7 completion tokens).</summary>
    public static Task<(WebApplication App, string BaseUrl)> StartChatCompletionsAsync() => StartAsync(app =>
        app.MapPost("/v1/chat/completions", () => Results.Text(
            $$$"""{"id":"{{{ResponseId}}}","object":"chat.completion","created":1700000000,"model":"{{{ResponseModel}}}","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}""",
            "application/json")));

    /// <summary>Accepts OTLP/HTTP protobuf exports on /v1/{traces,metrics,logs} and keeps each request body by signal.</summary>
    public static Task<(WebApplication App, string BaseUrl)> StartOtlpReceiverAsync(ConcurrentQueue<(string Signal, string ContentType, byte[] Body)> received) => StartAsync(app =>
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue((signal, request.ContentType ?? "", body.ToArray()));
            return Results.Bytes([], "application/x-protobuf"); // an empty Export*ServiceResponse
        }));

    private static async Task<(WebApplication, string)> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address);
    }
}

/// <summary>Reads span names out of an OTLP ExportTraceServiceRequest with a plain protobuf walk (no generated code).</summary>
public static class OtlpTraces
{
    // ExportTraceServiceRequest.resource_spans = 1 → ResourceSpans.scope_spans = 2 → ScopeSpans.spans = 2 → Span.name = 5
    public static List<string> SpanNames(byte[] request)
    {
        var names = new List<string>();
        foreach (var resourceSpans in Fields(request, 1))
            foreach (var scopeSpans in Fields(resourceSpans, 2))
                foreach (var span in Fields(scopeSpans, 2))
                    foreach (var name in Fields(span, 5)) names.Add(System.Text.Encoding.UTF8.GetString(name));
        return names;
    }

    /// <summary>The length-delimited values of field <paramref name="number"/> in one message.</summary>
    private static IEnumerable<byte[]> Fields(byte[] message, int number)
    {
        var i = 0;
        while (i < message.Length)
        {
            var key = ReadVarint(message, ref i);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: ReadVarint(message, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)ReadVarint(message, ref i);
                    if (field == number) yield return message[i..(i + length)];
                    i += length;
                    break;
                default: throw new InvalidDataException($"Unsupported protobuf wire type {key & 7}.");
            }
        }
    }

    private static ulong ReadVarint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }
}
