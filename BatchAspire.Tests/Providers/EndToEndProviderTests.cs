using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BatchAspire.FakeProvider;
using BatchAspire.Tests.Api;
using BatchAspire.Tests.Infrastructure;
using BatchAspire.Tests.Providers.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace BatchAspire.Tests.Providers;

/// <summary>Whole jobs through the Api and a Worker against the fake providers: one file on every provider, costs, budgets, secrets.</summary>
public sealed class EndToEndProviderTests
{
    private static object Chat(string customId, string model, string prompt, int? maxTokens = null) => new
    {
        custom_id = customId,
        body = maxTokens is { } max
            ? (object)new { model, max_tokens = max, messages = new[] { new { role = "user", content = prompt } } }
            : new { model, messages = new[] { new { role = "user", content = prompt } } },
    };

    [Fact]
    public async Task One_chat_completions_file_runs_on_every_provider_with_exact_cost_per_item_job_and_tenant()
    {
        await using var fake = await FakeLlmServer.StartAsync();
        await using var api = new ApiFactory(TestStores.Get("garnet"), TestStores.UniquePrefix(), ProviderHarness.Settings(fake.BaseUrl));
        using var worker = api.StartWorker();
        var client = api.CreateClient();

        var created = await client.PostAsJsonAsync("/api/jobs", new
        {
            items = new[]
            {
                Chat("openai", "gpt-4o", "Hello [[cache]]"),
                Chat("anthropic", "claude-sonnet-4-5", "Hello [[cache]]"),
                Chat("gemini", "gemini-2.5-flash", "Hello [[cache]]"),
            },
        });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var job = await JobsApiTests.WaitForStatusAsync(client, id, "completed");

        var results = (await client.GetStringAsync($"/api/jobs/{id}/results")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => r.GetProperty("custom_id").GetString()!);
        foreach (var r in results.Values)
        {
            Assert.Equal("succeeded", r.GetProperty("status").GetString());
            Assert.Equal("chat.completion", r.GetProperty("response").GetProperty("object").GetString());
            Assert.Equal("assistant", r.GetProperty("response").GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString());
        }
        // Hand-computed in Pricing/CostTests: 0.004 (gpt-4o), 0.005265 (claude-sonnet-4-5), 0.000692 (gemini-2.5-flash).
        Assert.Equal(0.004m, results["openai"].GetProperty("cost_usd").GetDecimal());
        Assert.Equal(0.005265m, results["anthropic"].GetProperty("cost_usd").GetDecimal());
        Assert.Equal(0.000692m, results["gemini"].GetProperty("cost_usd").GetDecimal());
        Assert.Equal(300, results["anthropic"].GetProperty("usage").GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal(100, results["anthropic"].GetProperty("usage").GetProperty("cache_write_tokens").GetInt64());

        Assert.Equal(0.009957m, job.GetProperty("cost_usd").GetDecimal());
        var usage = job.GetProperty("usage");
        Assert.Equal(3000, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(600, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(1100, usage.GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal(100, usage.GetProperty("cache_write_tokens").GetInt64());
        Assert.Equal(100, usage.GetProperty("reasoning_tokens").GetInt64());

        var tenant = await client.GetFromJsonAsync<JsonElement>("/api/usage");
        Assert.Equal("usage", tenant.GetProperty("object").GetString());
        Assert.Equal(0.009957m, tenant.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(3000, tenant.GetProperty("usage").GetProperty("input_tokens").GetInt64());
        Assert.Equal(3, tenant.GetProperty("succeeded").GetInt64());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public async Task A_budget_stops_the_job_before_it_overspends_leaving_less_than_one_calls_worst_case(int concurrency)
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = ProviderHarness.ApiKey, DefaultCompletionTokens = 1000 });
        await using var api = new ApiFactory(TestStores.Get("garnet"), TestStores.UniquePrefix(), ProviderHarness.Settings(ProviderHarness.Url(fake)));
        using var worker = api.StartWorker(new Dictionary<string, string?> { ["BatchAspire:Worker:MaxConcurrency"] = concurrency.ToString() });
        var client = api.CreateClient();
        const decimal budget = 0.005m;
        var items = Enumerable.Range(0, 30).Select(i => Chat($"c{i}", "gpt-4o-mini", "Write a long story", 1000)).ToArray();

        // Every item is the same call, so one call's worst case is the estimate's total over the item count.
        var estimate = await (await client.PostAsJsonAsync("/api/jobs/estimate", new { items })).Content.ReadFromJsonAsync<JsonElement>();
        var worstCase = estimate.GetProperty("fast").GetProperty("max_cost_usd").GetDecimal() / 30;
        Assert.InRange(worstCase, 0.0006m, 0.00061m); // 1000 output × 0.0000006 + ~16 prompt tokens × 0.00000015

        var created = await client.PostAsJsonAsync("/api/jobs", new { max_cost_usd = budget, items });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var submitted = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(budget, submitted.GetProperty("max_cost_usd").GetDecimal());
        var job = await JobsApiTests.WaitForStatusAsync(client, submitted.GetProperty("id").GetString()!, "failed");

        var spent = job.GetProperty("cost_usd").GetDecimal();
        Assert.True(spent <= budget, $"spent {spent} > budget {budget}");
        Assert.True(budget - spent < worstCase, $"stopped early: {budget - spent} left, one call's worst case is {worstCase}");
        Assert.Equal("budget_exceeded", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("0.005 USD", job.GetProperty("error").GetProperty("message").GetString());

        var counts = job.GetProperty("counts");
        var sent = (int)fake.Stats.Requests;
        Assert.Equal(sent, counts.GetProperty("completed").GetInt64());
        Assert.Equal(30 - sent, counts.GetProperty("failed").GetInt64());
        Assert.InRange(sent, 7, 8);
        var lines = (await client.GetStringAsync($"/api/jobs/{job.GetProperty("id").GetString()}/results")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines.Where(l => l.GetProperty("status").GetString() == "failed"),
            l => Assert.Equal("budget_exceeded", l.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(spent, lines.Sum(l => l.GetProperty("cost_usd").GetDecimal()));
    }

    [Fact]
    public async Task An_untranslatable_item_is_refused_at_submit_naming_it_and_nothing_is_stored()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = ProviderHarness.ApiKey, DefaultCompletionTokens = 1000 });
        var prefix = TestStores.UniquePrefix();
        await using var api = new ApiFactory(TestStores.Get("garnet"), prefix, ProviderHarness.Settings(ProviderHarness.Url(fake)));
        var client = api.CreateClient();
        var items = Enumerable.Range(0, 3).Select(i => (object)Chat($"c{i}", "claude-haiku-4-5", "hi")).ToList();
        items.Add(new { custom_id = "c3", body = new { model = "claude-haiku-4-5", messages = new[] { new { role = "user", content = "hi" } }, tools = Array.Empty<object>() } });

        var response = await client.PostAsJsonAsync("/api/jobs", new { items });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("items[3].body.tools", error.GetProperty("param").GetString());
        Assert.Equal("untranslatable_request", error.GetProperty("code").GetString());

        var estimate = await client.PostAsJsonAsync("/api/jobs/estimate", new { items = items.Take(3) });
        Assert.Equal(HttpStatusCode.OK, estimate.StatusCode);
        Assert.Empty(await DumpAsync(api.Store.Connection, prefix));
    }

    [Fact]
    public async Task The_estimate_prices_the_worst_case_at_fast_and_economy_prices()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = ProviderHarness.ApiKey, DefaultCompletionTokens = 1000 });
        await using var api = new ApiFactory(TestStores.Get("garnet"), TestStores.UniquePrefix(), ProviderHarness.Settings(ProviderHarness.Url(fake)));
        var client = api.CreateClient();
        var estimate = await (await client.PostAsJsonAsync("/api/jobs/estimate", new
        {
            items = new[] { Chat("a", "gpt-4o-mini", "one two three", 100), Chat("b", "gpt-4o-mini", "four five six", 100), Chat("c", "openai/my-unpriced-model", "x", 10) },
        })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("job.estimate", estimate.GetProperty("object").GetString());
        Assert.Equal(210, estimate.GetProperty("max_output_tokens").GetInt64());
        // 200 output tokens of gpt-4o-mini: 200 × 0.0000006 = 0.00012 fast; 200 × 0.0000003 = 0.00006 economy.
        Assert.Equal(0.00012m, estimate.GetProperty("fast").GetProperty("max_output_cost_usd").GetDecimal());
        Assert.Equal(0.00006m, estimate.GetProperty("economy").GetProperty("max_output_cost_usd").GetDecimal());
        var input = estimate.GetProperty("models")[0].GetProperty("input_tokens").GetInt64();
        Assert.InRange(input, 2 * (3 + 7), 2 * (6 + 7)); // three words each, plus 4 per message and 3 of priming
        Assert.Equal(input * 0.00000015m, estimate.GetProperty("fast").GetProperty("input_cost_usd").GetDecimal());
        Assert.Equal(["my-unpriced-model"], estimate.GetProperty("unpriced_models").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task A_provider_key_never_reaches_the_store_results_responses_logs_or_traces()
    {
        var marker = "sk-MARKER-" + Guid.NewGuid().ToString("N");
        await using var fake = await FakeLlmServer.StartAsync();
        var prefix = TestStores.UniquePrefix();
        var settings = ProviderHarness.Settings(fake.BaseUrl, key: marker);
        settings["BatchAspire:Retries:MaxRateLimitWait"] = "00:00:00.200";
        settings["BatchAspire:Retries:BaseDelay"] = "00:00:00.050";
        var logs = new CapturedLogs();
        var spans = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => spans.Enqueue($"{a.DisplayName} {string.Join(" ", a.TagObjects.Select(t => $"{t.Key}={t.Value}"))} {a.StatusDescription}"),
        };
        ActivitySource.AddActivityListener(listener);

        await using var baseApi = new ApiFactory(TestStores.Get("garnet"), prefix, settings);
        await using var api = baseApi.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))));
        using var worker = TestHost.Build(baseApi.Store, prefix, worker: true, settings,
            s => s.AddLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)));
        await worker.StartAsync();
        var client = api.CreateClient();

        var items = new List<object>();
        var ids = new List<string>();
        foreach (var model in new[] { "gpt-4o", "azure-gpt-4o", "claude-haiku-4-5", "gemini-2.5-flash" })
        {
            foreach (var (suffix, prompt) in new[] { ("echo", "please fail [[echo]]"), ("limited", "once limited [[429*1]]"), ("ok", "fine") })
            {
                ids.Add($"{model}-{suffix}");
                items.Add(Chat(ids[^1], model, prompt));
            }
        }
        var created = await client.PostAsJsonAsync("/api/jobs", new { items });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var job = await JobsApiTests.WaitForStatusAsync(client, id, "completed");
        Assert.Equal(4, job.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.True(job.GetProperty("rate_limited").GetInt64() >= 4);
        await worker.StopAsync();

        // The fake really saw the key, and really echoed it back.
        Assert.All(fake.Requests, r => Assert.Contains(marker, string.Join(" ", r.Headers.Values)));
        var everything = new StringBuilder();
        everything.AppendLine(await client.GetStringAsync($"/api/jobs/{id}"));
        everything.AppendLine(await client.GetStringAsync($"/api/jobs/{id}/results"));
        everything.AppendLine(await client.GetStringAsync("/api/jobs"));
        everything.AppendLine(await client.GetStringAsync("/api/usage"));
        foreach (var customId in ids) everything.AppendLine(await client.GetStringAsync($"/api/jobs/{id}/items/{customId}"));
        var results = everything.ToString();
        Assert.Contains("Rejected request with headers", results); // the echoed errors are stored, scrubbed
        Assert.Contains("[redacted]", results);
        foreach (var (key, value) in await DumpAsync(baseApi.Store.Connection, prefix)) everything.AppendLine(key).AppendLine(value);
        foreach (var line in logs.Lines) everything.AppendLine(line);
        foreach (var span in spans) everything.AppendLine(span);

        Assert.True(logs.Lines.Count > 10, "logs were captured");
        Assert.True(spans.Count > 10, "spans were captured");
        Assert.DoesNotContain(marker, everything.ToString());
        Assert.DoesNotContain(marker[3..], everything.ToString());
    }

    /// <summary>Every key under the prefix, with its whole value whatever its type.</summary>
    internal static async Task<List<(string Key, string Value)>> DumpAsync(IConnectionMultiplexer redis, string prefix)
    {
        var db = redis.GetDatabase();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var dump = new List<(string, string)>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
        {
            var value = (await db.KeyTypeAsync(key)) switch
            {
                RedisType.Hash => string.Join("\n", (await db.HashGetAllAsync(key)).Select(e => $"{e.Name}={e.Value}")),
                RedisType.List => string.Join("\n", await db.ListRangeAsync(key)),
                RedisType.SortedSet => string.Join("\n", await db.SortedSetRangeByRankAsync(key)),
                RedisType.Set => string.Join("\n", await db.SetMembersAsync(key)),
                _ => (string?)await db.StringGetAsync(key) ?? "",
            };
            dump.Add((key.ToString(), value));
        }
        return dump;
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<string> Store { get; } = new();
        public List<string> Lines => [.. Store];
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(CapturedLogs logs, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Store.Enqueue($"{category} {logLevel} {formatter(state, exception)} {exception}");
        }
    }
}
