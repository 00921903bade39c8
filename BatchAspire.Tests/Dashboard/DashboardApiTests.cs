using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BatchAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ApiEntryPoint = BatchAspire.Api.Jobs.JobList; // any public Api type names the entry assembly (Program is ambiguous with the Worker's)

namespace BatchAspire.Tests.Dashboard;

/// <summary>What the dashboard needs from the Api: the SSE access_token (and only there), stats, recent results, /metrics.</summary>
public sealed class DashboardApiTests
{
    private const string Key = "sk-dashboard-test-key-123";

    [Fact]
    public async Task Events_accept_the_key_as_access_token_other_routes_do_not_and_no_log_shows_it()
    {
        var logs = new ConcurrentQueue<string>();
        await using var factory = Factory(new() { ["BatchAspire:Auth:Tenants:acme:ApiKey"] = Key }, logs);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var job = await SubmitAsync(client, 3);
        var anonymous = factory.CreateClient();

        using var events = await anonymous.GetAsync($"/api/jobs/{job}/events?access_token={Key}", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/jobs/{job}?access_token={Key}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/jobs/{job}/events?access_token=wrong", TestContext.Current.CancellationToken)).StatusCode);
        Assert.NotEmpty(logs);
        Assert.DoesNotContain(logs, l => l.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stats_and_recent_results_describe_the_latest_finished_items()
    {
        await using var factory = Factory([], null);
        using var client = factory.CreateClient();
        var prefix = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<BatchAspire.Core.Store.StoreOptions>>().Value.KeyPrefix;
        var job = await SubmitAsync(client, 12);
        using (var worker = TestHost.Build(TestStores.Get("garnet"), prefix, worker: true, new Dictionary<string, string?> { ["BatchAspire:Providers:sim:LatencyMs"] = "5" }))
        {
            await worker.StartAsync(TestContext.Current.CancellationToken);
            for (var i = 0; i < 600 && (await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{job}", TestContext.Current.CancellationToken)).GetProperty("status").GetString() != "completed"; i++)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            await worker.StopAsync(CancellationToken.None);
        }

        var recent = (await client.GetStringAsync($"/api/jobs/{job}/results?recent=true&limit=5", TestContext.Current.CancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(5, recent.Count);
        Assert.All(recent, r => Assert.Equal("succeeded", r.GetProperty("status").GetString()));

        var stats = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{job}/stats", TestContext.Current.CancellationToken);
        Assert.Equal("job.stats", stats.GetProperty("object").GetString());
        Assert.Equal(12, stats.GetProperty("sampled").GetInt32());
        var latency = stats.GetProperty("latency_ms");
        Assert.True(latency.GetProperty("p50").GetInt64() <= latency.GetProperty("p95").GetInt64());
        Assert.True(latency.GetProperty("p95").GetInt64() <= latency.GetProperty("p99").GetInt64());
        Assert.Equal(12, latency.GetProperty("count").GetInt32());
        Assert.Equal(12, stats.GetProperty("attempts").GetProperty("by_status_code").GetProperty("200").GetInt64());
        Assert.NotEmpty(stats.GetProperty("throughput").GetProperty("series").EnumerateArray());
        Assert.Equal(0, stats.GetProperty("eta_seconds").GetDouble());
        // The limiter reports the scopes it governs; a simulator job without limits has none.
        Assert.Empty(stats.GetProperty("rate_limit_headroom").EnumerateArray());
    }

    [Fact]
    public async Task Prometheus_scrape_endpoint_is_mapped_only_when_configured()
    {
        await using (var off = Factory([], null))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await off.CreateClient().GetAsync("/metrics", TestContext.Current.CancellationToken)).StatusCode);
        }
        await using var on = Factory(new() { ["BatchAspire:Telemetry:Prometheus"] = "true" }, null);
        using var client = on.CreateClient();
        await SubmitAsync(client, 1);
        var scrape = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var text = await scrape.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Contains("batch_queue_depth", text);
    }

    private static WebApplicationFactory<ApiEntryPoint> Factory(Dictionary<string, string?> settings, ConcurrentQueue<string>? logs)
    {
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();
        return new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:redis", store.ConnectionString);
            web.UseSetting("BatchAspire:Store:KeyPrefix", prefix);
            foreach (var (k, v) in settings) web.UseSetting(k, v);
            if (logs is not null)
            {
                web.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(new CapturingLoggerProvider(logs)));
            }
        });
    }

    private static async Task<string> SubmitAsync(HttpClient client, int count)
    {
        var items = Enumerable.Range(0, count).Select(i => new { custom_id = $"i{i}", body = new { messages = new[] { new { role = "user", content = "hello" } } } });
        var response = await client.PostAsJsonAsync("/api/jobs", new { model = "sim-1", items });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{category}: {formatter(state, exception)} {state}");
        }
    }
}
