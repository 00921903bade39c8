using System.Buffers;
using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers.Simulated;

/// <summary>
/// The built-in provider for models <c>sim-*</c>: answers in the OpenAI wire format after a configurable
/// latency, and fails transiently at a configurable rate. Needs no network, so a first batch always runs.
/// Simulator only, for tests and demos: a body field <c>"sim_fail": "permanent"</c> answers 400 (a permanent
/// failure) and <c>"sim_fail": "transient"</c> answers 500, every time.
/// </summary>
public sealed class SimulatedProvider(ProviderOptions options, TimeProvider time) : IProviderClient
{
    public async Task<ProviderResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        var latency = options.LatencyMs + (options.LatencyJitterMs > 0 ? (Random.Shared.NextDouble() * 2 - 1) * options.LatencyJitterMs : 0);
        if (latency >= 1)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(latency), time, cancellationToken);
        }

        if (request.Body.ValueKind == JsonValueKind.Object && request.Body.TryGetProperty("sim_fail", out var fail))
        {
            if (fail.ValueEquals("permanent"))
            {
                var error = new ItemError("invalid_request", "The simulator rejected this request on purpose (body.sim_fail = \"permanent\").");
                return new ProviderResponse(ProviderOutcome.Permanent, 400, ErrorBody(error, "invalid_request_error"), Error: error);
            }
            if (fail.ValueEquals("transient"))
            {
                var error = new ItemError("simulated_failure", "The simulator failed this attempt on purpose (body.sim_fail = \"transient\").");
                return new ProviderResponse(ProviderOutcome.Transient, 500, ErrorBody(error), Error: error);
            }
        }

        if (options.FailureRate > 0 && Random.Shared.NextDouble() < options.FailureRate)
        {
            var error = new ItemError("simulated_failure", "The simulator failed this attempt on purpose (BatchAspire:Providers:sim:FailureRate).");
            return new ProviderResponse(ProviderOutcome.Transient, 500, ErrorBody(error), Error: error);
        }

        if (options.RateLimitRate > 0 && Random.Shared.NextDouble() < options.RateLimitRate)
        {
            var limited = new ItemError("rate_limit_exceeded", "The simulator rate limited this attempt on purpose (BatchAspire:Providers:sim:RateLimitRate).");
            return new ProviderResponse(ProviderOutcome.RateLimited, 429, ErrorBody(limited), Error: limited, RetryAfter: TimeSpan.FromMilliseconds(100));
        }

        var prompt = PromptText(request.Body);
        var usage = new TokenUsage(Math.Max(1, prompt.Length / 4), 8);
        var embeddings = request.Url.EndsWith("/embeddings", StringComparison.Ordinal);
        return new ProviderResponse(
            ProviderOutcome.Success, 200,
            embeddings ? EmbeddingBody(request, usage) : ChatBody(request, prompt, usage),
            embeddings ? usage with { OutputTokens = 0 } : usage,
            ResponseModel: request.Route.Model);
    }

    private static string PromptText(JsonElement body)
    {
        if (body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            var last = "";
            foreach (var message in messages.EnumerateArray())
            {
                if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    last = content.GetString() ?? "";
                }
            }
            return last;
        }
        if (body.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.String) return input.GetString() ?? "";
        if (body.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String) return p.GetString() ?? "";
        return "";
    }

    private static byte[] ChatBody(ProviderRequest request, string prompt, TokenUsage usage)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", "chatcmpl-sim" + Guid.NewGuid().ToString("N")[..20]);
            w.WriteString("object", "chat.completion");
            w.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            w.WriteString("model", request.Route.Model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", "Simulated reply to: " + (prompt.Length > 60 ? prompt[..60] : prompt));
            w.WriteEndObject();
            w.WriteString("finish_reason", "stop");
            w.WriteEndObject();
            w.WriteEndArray();
            WriteUsage(w, usage);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] EmbeddingBody(ProviderRequest request, TokenUsage usage)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            w.WriteStartObject();
            w.WriteString("object", "embedding");
            w.WriteNumber("index", 0);
            w.WriteStartArray("embedding");
            var seed = request.CustomId.GetHashCode();
            for (var i = 0; i < 8; i++) w.WriteNumberValue(Math.Round(Math.Sin(seed + i), 6));
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("model", request.Route.Model);
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", usage.InputTokens);
            w.WriteNumber("total_tokens", usage.InputTokens);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteUsage(Utf8JsonWriter w, TokenUsage usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage.InputTokens);
        w.WriteNumber("completion_tokens", usage.OutputTokens);
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteEndObject();
    }

    internal static byte[] ErrorBody(ItemError error, string type = "server_error") =>
        JsonSerializer.SerializeToUtf8Bytes(new { error = new { message = error.Message, type, param = (string?)null, code = error.Code } });
}
