using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BatchAspire.EmbeddedStore;
using StackExchange.Redis;

namespace BatchAspire.Bench;

/// <summary>
/// End-to-end throughput and memory of the working core: real Api and Worker processes on embedded Garnet,
/// items submitted over HTTP to the simulator, timed until the job reports completed.
/// </summary>
public static class CoreBenchmark
{
    public sealed record Run(string Name, int Items, int Workers, double LatencyMs, int Concurrency, double Seconds, double ItemsPerSecond,
        double SubmitSeconds, double RoundTripsPerItem, double ApiPeakRssMiB, double WorkerPeakRssMiB);

    public static async Task<Run> RunAsync(string name, int items, int workers, double latencyMs, int concurrency)
    {
        var dir = Directory.CreateTempSubdirectory("batchaspire-bench-").FullName;
        // The store the AppHost runs locally (AOF on), with counters sampled so commands per item can be read.
        using var garnet = EmbeddedGarnet.Start(dir, extraArguments: ["--metrics-sampling-freq", "1"]);
        var redis = garnet.ConnectionString;
        var apiPort = EmbeddedGarnet.FreePort();
        var url = $"http://127.0.0.1:{apiPort}";
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis,
            ["BatchAspire__Providers__sim__LatencyMs"] = latencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BatchAspire__Worker__MaxConcurrency"] = concurrency.ToString(),
            ["BatchAspire__Worker__LeaseBatchSize"] = "500",
        };

        using var api = BenchProcess.Start("BatchAspire.Api", new Dictionary<string, string>(env) { ["ASPNETCORE_URLS"] = url });
        var workerProcesses = Enumerable.Range(0, workers).Select(_ => BenchProcess.Start("BatchAspire.Worker", env)).ToList();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(10) };
            await WaitHealthyAsync(http);
            using var store = await ConnectionMultiplexer.ConnectAsync(redis + ",allowAdmin=true");
            var commandsBefore = await CommandsProcessedAsync(store);

            var body = Payload(items);
            var started = Stopwatch.StartNew();
            var response = await http.PostAsync("/api/jobs", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
            response.EnsureSuccessStatusCode();
            var submitSeconds = started.Elapsed.TotalSeconds;
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            while (true)
            {
                var job = await http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
                if (job.GetProperty("status").GetString() == "completed") break;
                await Task.Delay(25);
            }
            var seconds = started.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // Garnet samples its counters once a second
            var commands = await CommandsProcessedAsync(store) - commandsBefore;

            return new Run(name, items, workers, latencyMs, concurrency, seconds, items / seconds, submitSeconds,
                commands / (double)items, api.PeakRssMiB, workerProcesses.Max(w => w.PeakRssMiB));
        }
        finally
        {
            foreach (var w in workerProcesses) w.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Every command the store processed (submit, lease, complete, status polls, health checks).</summary>
    private static async Task<long> CommandsProcessedAsync(IConnectionMultiplexer store)
    {
        var info = await store.GetServers()[0].InfoAsync("stats");
        var value = info.SelectMany(g => g).FirstOrDefault(p => p.Key == "total_commands_processed").Value;
        return long.TryParse(value, out var n) ? n : -1;
    }

    private static byte[] Payload(int items)
    {
        var sb = new StringBuilder(items * 110);
        sb.Append("""{"model":"sim-1","items":[""");
        for (var i = 0; i < items; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append("{\"custom_id\":\"item-").Append(i).Append("\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"Classify article ").Append(i).Append("\"}]}}");
        }
        sb.Append("]}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static async Task WaitHealthyAsync(HttpClient http)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The Api did not become healthy.");
    }
}
