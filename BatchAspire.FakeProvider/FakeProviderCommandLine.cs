using System.CommandLine;

namespace BatchAspire.FakeProvider;

/// <summary>The <c>dotnet BatchAspire.FakeProvider.dll --port 8080 --rpm 1200 …</c> command: flags map 1:1 to <see cref="FakeProviderOptions"/>.</summary>
internal static class FakeProviderCommandLine
{
    public static RootCommand Create()
    {
        var defaults = new FakeProviderOptions();
        var port = Flag("--port", "TCP port to listen on (0 = any free port)", 8080);
        var host = Flag("--host", "IP address to bind (0.0.0.0 inside a container)", defaults.Host);
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer <key>'" };
        var rpm = Flag("--rpm", "Requests per rolling minute (0 = unlimited)", defaults.RequestsPerMinute);
        var tpm = Flag("--tpm", "Tokens (prompt + max tokens) per rolling minute (0 = unlimited)", defaults.TokensPerMinute);
        var slices = Flag("--per-second-slices", "Also enforce RPM/60 and TPM/60 per rolling second", defaults.PerSecondSlices);
        var concurrency = Flag("--max-concurrency", "Requests in flight at once (0 = unlimited)", defaults.MaxConcurrency);
        var noHeaders = Flag("--no-rate-limit-headers", "Do not send x-ratelimit-* headers", false);
        var quota = Flag("--quota-exhausted", "Answer every request 429 insufficient_quota", defaults.QuotaExhausted);
        var latency = Flag("--latency-ms", "Delay before answering an admitted request", defaults.LatencyMs);
        var jitter = Flag("--latency-jitter-ms", "Uniform ± jitter around --latency-ms", defaults.LatencyJitterMs);
        var errorRate = Flag("--error-rate", "Share of admitted requests answered 500/502/503 (0..1)", defaults.ServerErrorRate);
        var slowRate = Flag("--slow-rate", "Share of admitted requests delayed by --slow-ms (0..1)", defaults.SlowResponseRate);
        var slowMs = Flag("--slow-ms", "Delay of a slow response", defaults.SlowResponseMs);
        var dropRate = Flag("--drop-rate", "Share of admitted requests whose connection is aborted (0..1)", defaults.DropConnectionRate);
        var seed = new Option<int?>("--seed") { Description = "Seed of the fault and jitter draws" };
        var completionTokens = Flag("--completion-tokens", "Completion tokens per reply (and TPM charge when max tokens is absent)", defaults.DefaultCompletionTokens);

        var command = new RootCommand("BatchAspire fake provider: an OpenAI-compatible server that enforces rate limits honestly.")
        {
            port, host, apiKey, rpm, tpm, slices, concurrency, noHeaders, quota,
            latency, jitter, errorRate, slowRate, slowMs, dropRate, seed, completionTokens,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new FakeProviderOptions
            {
                Port = parse.GetValue(port),
                Host = parse.GetValue(host)!,
                ApiKey = parse.GetValue(apiKey),
                RequestsPerMinute = parse.GetValue(rpm),
                TokensPerMinute = parse.GetValue(tpm),
                PerSecondSlices = parse.GetValue(slices),
                MaxConcurrency = parse.GetValue(concurrency),
                SendRateLimitHeaders = !parse.GetValue(noHeaders),
                QuotaExhausted = parse.GetValue(quota),
                LatencyMs = parse.GetValue(latency),
                LatencyJitterMs = parse.GetValue(jitter),
                ServerErrorRate = parse.GetValue(errorRate),
                SlowResponseRate = parse.GetValue(slowRate),
                SlowResponseMs = parse.GetValue(slowMs),
                DropConnectionRate = parse.GetValue(dropRate),
                Seed = parse.GetValue(seed),
                DefaultCompletionTokens = parse.GetValue(completionTokens),
            };

            await using var server = await FakeProviderServer.StartAsync(options, cancellationToken: cancellationToken);
            Console.WriteLine($"Fake provider listening: OpenAI base URL {server.BaseUrl}, stats {server.RootUrl}stats");
            await server.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    private static Option<T> Flag<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };
}
