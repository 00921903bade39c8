// Rate-limit benchmark (DESIGN.md §6): achieved throughput as a share of the configured limit with 1, 2 and 4
// Worker processes against the fake provider in its own process, and the fake's 429 count, beside a naive
// baseline (a semaphore of N concurrent calls with per-call Polly retry) against the same fake.
// Usage: dotnet run --project bench/RateLimitBench -c Release -- [seconds=60] [rpm=600] [workers=1,2,4]
// Needs: the Worker and FakeProvider built in the same configuration, and redis-server on the PATH or in /usr/bin.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using BatchAspire.Core;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

var seconds = args.Length > 0 ? int.Parse(args[0]) : 60;
var rpm = args.Length > 1 ? int.Parse(args[1]) : 600;
int[] workerCounts = args.Length > 2 ? [.. args[2].Split(',').Select(int.Parse)] : [1, 2, 4];
const string Model = "gpt-4o-mini";
const string Key = "sk-bench";

var meta = typeof(Bench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value!);
var root = Path.GetFullPath(meta["RepoRoot"]);
string Dll(string project) => Path.Combine(root, project, "bin", meta["Configuration"], "net10.0", project + ".dll");

var started = new List<Process>();
try
{
    var redisPort = Bench.FreePort();
    started.Add(Bench.Start("redis-server", ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], []));
    var fakePort = Bench.FreePort();
    started.Add(Bench.Start("dotnet", [Dll("BatchAspire.FakeProvider"), "--port", fakePort.ToString(), "--rpm", rpm.ToString(), "--per-second-slices",
        "--latency-ms", "50", "--latency-jitter-ms", "20", "--api-key", Key], []));
    var fakeRoot = $"http://127.0.0.1:{fakePort}/";
    using var http = new HttpClient { BaseAddress = new Uri(fakeRoot) };
    await Bench.WaitUpAsync(http);
    var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort}");

    Console.WriteLine($"Limit {rpm} RPM (fake: rolling minute + {(rpm + 59) / 60} per rolling second), {seconds} s measured after 5 s of warm-up, fake latency 50±20 ms.");
    Console.WriteLine();
    Console.WriteLine("| run | achieved RPM | share of limit | fake 429s | peak per second | limiter round trips per call |");
    Console.WriteLine("|---|---|---|---|---|---|");

    foreach (var n in workerCounts)
    {
        await Bench.ResetFakeAsync(http);
        var prefix = $"bench{n}{Guid.NewGuid():N}"[..16] + ":";
        var host = Bench.CoreHost(redis, prefix);
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = $"127.0.0.1:{redisPort}",
            ["BatchAspire__Store__KeyPrefix"] = prefix,
            ["BatchAspire__Providers__openai__BaseUrl"] = fakeRoot + "v1",
            ["BatchAspire__Providers__openai__Limits__RequestsPerMinute"] = rpm.ToString(),
            ["OPENAI_API_KEY"] = Key,
            ["Logging__LogLevel__Default"] = "Warning",
            ["OTEL_SDK_DISABLED"] = "true",
        };
        var workers = Enumerable.Range(0, n).Select(_ => Bench.Start("dotnet", [Dll("BatchAspire.Worker")], env)).ToList();
        started.AddRange(workers);
        var items = rpm / 60 * (seconds + 20);
        var request = new JobRequest
        {
            Model = Model,
            Items = [.. Enumerable.Range(0, items).Select(i => new JobItemRequest
            {
                CustomId = $"c{i}",
                Body = JsonSerializer.SerializeToElement(new { model = Model, messages = new[] { new { role = "user", content = $"Classify item {i}." } }, max_tokens = 16 }),
            })],
        };
        var (job, error) = await host.Services.GetRequiredService<JobSubmission>().SubmitAsync("bench", request);
        if (job is null) throw new InvalidOperationException(error?.Message);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var s0 = await Bench.StatsAsync(http);
        var t0 = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var s1 = await Bench.StatsAsync(http);
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var achieved = (s1.GetProperty("accepted").GetInt64() - s0.GetProperty("accepted").GetInt64()) / elapsed * 60;
        var accounting = await host.Services.GetRequiredService<RateLimitStore>().AccountingAsync($"openai/{Model}");
        Console.WriteLine($"| BatchAspire, {n} Worker{(n > 1 ? "s" : "")} | {achieved:0} | {achieved / rpm:P1} | {s1.GetProperty("rejected_rate_limit").GetInt64()} | {s1.GetProperty("peak_requests_per_second").GetInt64()} | {accounting.RoundTripsPerCall:0.00} |");
        foreach (var w in workers) Bench.Kill(w);
        await host.Services.GetRequiredService<JobStore>().CancelAsync("bench", job.Id);
        host.Dispose();
        await Task.Delay(TimeSpan.FromSeconds(2));
    }

    // Naive baseline: what the one-off script does. 16 concurrent calls, Polly retry with exponential backoff and jitter.
    await Bench.ResetFakeAsync(http);
    var baseline = await Bench.NaiveAsync(fakeRoot + "v1/chat/completions", Key, Model, concurrency: 16, TimeSpan.FromSeconds(seconds + 5), TimeSpan.FromSeconds(5));
    var bs = await Bench.StatsAsync(http);
    Console.WriteLine($"| naive: Semaphore(16) + Polly retry | {baseline.Rpm:0} | {baseline.Rpm / rpm:P1} | {bs.GetProperty("rejected_rate_limit").GetInt64()} | {bs.GetProperty("peak_requests_per_second").GetInt64()} | – |");
}
finally
{
    foreach (var p in started) Bench.Kill(p);
}

internal static class Bench
{
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static Process Start(string file, string[] arguments, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(file, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) info.Environment[k] = v;
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && line.Contains("fail", StringComparison.OrdinalIgnoreCase)) Console.Error.WriteLine(line); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public static async Task WaitUpAsync(HttpClient http)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                (await http.GetAsync("stats")).EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200);
            }
        }
        throw new InvalidOperationException("The fake provider did not start.");
    }

    public static async Task ResetFakeAsync(HttpClient http)
    {
        await http.PostAsync("stats/reset", null);
        await http.PostAsync("admin/reset-limits", null);
    }

    public static async Task<JsonElement> StatsAsync(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync("stats")).RootElement;

    public static IHost CoreHost(IConnectionMultiplexer redis, string prefix)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["BatchAspire:Store:KeyPrefix"] = prefix });
        builder.Services.AddSingleton(redis);
        builder.Services.AddLogging();
        builder.AddBatchCore();
        return builder.Build();
    }

    public static async Task<(double Rpm, long Ok)> NaiveAsync(string url, string key, string model, int concurrency, TimeSpan duration, TimeSpan warmup)
    {
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = a => ValueTask.FromResult(a.Outcome.Exception is HttpRequestException || a.Outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError }),
                MaxRetryAttempts = 6,
                Delay = TimeSpan.FromMilliseconds(500),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "Classify this item." } }, max_tokens = 16 }));
        var end = DateTime.UtcNow + duration;
        var measureFrom = DateTime.UtcNow + warmup;
        long ok = 0;
        using var gate = new SemaphoreSlim(concurrency);
        var tasks = new List<Task>();
        while (DateTime.UtcNow < end)
        {
            await gate.WaitAsync();
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await pipeline.ExecuteAsync(async ct =>
                    {
                        var content = new ByteArrayContent(body);
                        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                        return await client.PostAsync(url, content, ct);
                    });
                    if (response.IsSuccessStatusCode && DateTime.UtcNow >= measureFrom && DateTime.UtcNow < end) Interlocked.Increment(ref ok);
                }
                catch (HttpRequestException)
                {
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        await Task.WhenAll(tasks);
        return (ok / (duration - warmup).TotalMinutes, ok);
    }
}
