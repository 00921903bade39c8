using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.Api;

/// <summary>The native jobs API over HTTP, on a real store, with a real Worker where work must run.</summary>
public sealed class JobsApiTests
{
    private static ApiFactory Api(IDictionary<string, string?>? settings = null) =>
        new(TestStores.Get("garnet"), TestStores.UniquePrefix(), settings);

    private static object Items(int n, string model = "sim-1") => new
    {
        model,
        metadata = new Dictionary<string, string> { ["purpose"] = "test" },
        items = Enumerable.Range(0, n).Select(i => new { custom_id = $"c{i}", body = new { messages = new[] { new { role = "user", content = $"prompt {i}" } } } }),
    };

    [Fact]
    public async Task A_submitted_job_runs_to_completion_and_its_results_come_back_in_input_order()
    {
        await using var api = Api();
        using var worker = api.StartWorker();
        var client = api.CreateClient();

        var created = await client.PostAsJsonAsync("/api/jobs", Items(40));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var job = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal($"/api/jobs/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("test", job.GetProperty("metadata").GetProperty("purpose").GetString());

        var done = await WaitForStatusAsync(client, id, "completed");
        Assert.Equal(40, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(0, done.GetProperty("counts").GetProperty("failed").GetInt64());

        var lines = (await client.GetStringAsync($"/api/jobs/{id}/results")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"c{i}"), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Equal("chat.completion", first.GetProperty("response").GetProperty("object").GetString());
        Assert.Equal(1, first.GetProperty("attempts").GetArrayLength());
    }

    [Fact]
    public async Task Results_with_wait_stream_every_line_until_the_job_ends()
    {
        await using var api = Api();
        var client = api.CreateClient();
        var job = await (await client.PostAsJsonAsync("/api/jobs", Items(30))).Content.ReadFromJsonAsync<JsonElement>();
        var id = job.GetProperty("id").GetString()!;

        // The stream is opened before any Worker runs; it must wait, then deliver all 30 and end.
        var streaming = client.GetStringAsync($"/api/jobs/{id}/results?wait=true");
        using var worker = api.StartWorker(new Dictionary<string, string?> { ["BatchAspire:Providers:sim:LatencyMs"] = "20" });
        var body = await streaming.WaitAsync(TimeSpan.FromMinutes(2));

        var ids = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(30, ids.Count);
        Assert.Equal(30, ids.Distinct().Count());
    }

    [Fact]
    public async Task Events_stream_progress_then_done()
    {
        await using var api = Api();
        using var worker = api.StartWorker(new Dictionary<string, string?> { ["BatchAspire:Providers:sim:LatencyMs"] = "30" });
        var client = api.CreateClient();
        var job = await (await client.PostAsJsonAsync("/api/jobs", Items(50))).Content.ReadFromJsonAsync<JsonElement>();
        var id = job.GetProperty("id").GetString()!;

        using var response = await client.GetAsync($"/api/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        string? data = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) events.Add(line[7..]);
            if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }

        Assert.Equal("done", events[^1]);
        Assert.All(events[..^1], e => Assert.Equal("progress", e));
        var final = JsonDocument.Parse(data!).RootElement;
        Assert.Equal("completed", final.GetProperty("status").GetString());
        Assert.Equal(50, final.GetProperty("counts").GetProperty("completed").GetInt64());
    }

    [Fact]
    public async Task Cancel_stops_a_running_job()
    {
        await using var api = Api();
        using var worker = api.StartWorker(new Dictionary<string, string?>
        {
            ["BatchAspire:Providers:sim:LatencyMs"] = "200",
            ["BatchAspire:Worker:MaxConcurrency"] = "4",
        });
        var client = api.CreateClient();
        var id = (await (await client.PostAsJsonAsync("/api/jobs", Items(500))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var cancel = await client.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var cancelled = await WaitForStatusAsync(client, id, "cancelled");

        var counts = cancelled.GetProperty("counts");
        Assert.True(counts.GetProperty("completed").GetInt64() < 500);
        Assert.Equal(0, counts.GetProperty("in_flight").GetInt64());
    }

    public static TheoryData<string, string, string> BadSubmissions => new()
    {
        { """{"model":"sim-1","items":[]}""", "empty_items", "items" },
        { """{"model":"sim-1"}""", "empty_items", "items" },
        { """{"model":"sim-1","items":[{"custom_id":"a","body":{}},{"custom_id":"a","body":{}}]}""", "duplicate_custom_id", "items[1].custom_id" },
        { """{"model":"sim-1","items":[{"custom_id":"a"}]}""", "missing_body", "items[0].body" },
        { """{"model":"sim-1","items":[{"custom_id":"a","body":"hello"}]}""", "invalid_body", "items[0].body" },
        { """{"model":"sim-1","items":[{"body":{}}]}""", "missing_custom_id", "items[0].custom_id" },
        { """{"items":[{"custom_id":"a","body":{}}]}""", "missing_model", "items[0].body.model" },
        { """{"model":"no-such-model","items":[{"custom_id":"a","body":{}}]}""", "model_not_found", "items[0].body.model" },
        { """{"model":"sim-1","items":[{"custom_id":"a","body":{"model":"nobody/x"}}]}""", "model_not_found", "items[0].body.model" },
        { """{"model":"sim-1","mode":"turbo","items":[{"custom_id":"a","body":{}}]}""", "invalid_mode", "mode" },
        { """{"model":"sim-1","items":[{"custom_id":"a","url":"/v1/moderations","body":{}}]}""", "invalid_url", "items[0].url" },
        { """{"model":"sim-1","items":[{"custom_id":"a","body":{}}""", "invalid_json", "" },
        { """not json at all""", "invalid_json", "" },
    };

    [Theory, MemberData(nameof(BadSubmissions))]
    public async Task Bad_input_gets_a_clear_OpenAI_shaped_400_and_stores_nothing(string body, string code, string param)
    {
        await using var api = Api();
        var client = api.CreateClient();

        var response = await client.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (param.Length > 0) Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Empty(await api.Store.Connection.GetServers()[0].KeysAsync(pattern: api.Prefix + "*").ToListAsync());
    }

    [Fact]
    public async Task An_oversized_item_is_rejected_naming_the_limit()
    {
        await using var api = Api(new Dictionary<string, string?> { ["BatchAspire:Jobs:MaxItemBytes"] = "2048" });
        var client = api.CreateClient();
        var big = new string('x', 4000);

        var response = await client.PostAsJsonAsync("/api/jobs", new { model = "sim-1", items = new[] { new { custom_id = "big", body = new { prompt = big } } } });

        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("item_too_large", error.GetProperty("code").GetString());
        Assert.Contains("BatchAspire:Jobs:MaxItemBytes", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_unknown_job_answers_404_in_the_OpenAI_shape()
    {
        await using var api = Api();
        var client = api.CreateClient();

        foreach (var path in new[] { "/api/jobs/job_0123456789abcdef", "/api/jobs/not-an-id", "/api/jobs/job_0123456789abcdef/results" })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("not_found", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task With_tenants_configured_a_key_is_required_and_tenants_see_only_their_own_jobs()
    {
        await using var api = Api(new Dictionary<string, string?>
        {
            ["BatchAspire:Auth:Tenants:alice:ApiKey"] = "key-alice",
            ["BatchAspire:Auth:Tenants:bob:ApiKey"] = "key-bob",
        });
        var anonymous = api.CreateClient();
        var alice = api.CreateClient();
        alice.DefaultRequestHeaders.Authorization = new("Bearer", "key-alice");
        var bob = api.CreateClient();
        bob.DefaultRequestHeaders.Authorization = new("Bearer", "key-bob");
        var wrong = api.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new("Bearer", "nope");

        var none = await anonymous.GetAsync("/api/jobs");
        var bad = await wrong.GetAsync("/api/jobs");
        var id = (await (await alice.PostAsJsonAsync("/api/jobs", Items(1))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("missing_api_key", (await none.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_api_key", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/jobs/{id}/cancel", null)).StatusCode);
        Assert.Equal(0, (await bob.GetFromJsonAsync<JsonElement>("/api/jobs")).GetProperty("data").GetArrayLength());
        Assert.Equal(1, (await alice.GetFromJsonAsync<JsonElement>("/api/jobs")).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Listing_pages_newest_first()
    {
        await using var api = Api();
        var client = api.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await (await client.PostAsJsonAsync("/api/jobs", Items(1))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }

        var page1 = await client.GetFromJsonAsync<JsonElement>("/api/jobs?limit=3");
        var page2 = await client.GetFromJsonAsync<JsonElement>($"/api/jobs?limit=3&after={page1.GetProperty("last_id").GetString()}");

        var listed = page1.GetProperty("data").EnumerateArray().Concat(page2.GetProperty("data").EnumerateArray()).Select(j => j.GetProperty("id").GetString()).ToList();
        Assert.True(page1.GetProperty("has_more").GetBoolean());
        Assert.False(page2.GetProperty("has_more").GetBoolean());
        Assert.Equal(Enumerable.Reverse(ids), listed);
    }

    [Fact]
    public void Anonymous_access_on_a_non_loopback_address_is_refused_at_start()
    {
        var api = Api(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:5999" });
        var ex = Assert.ThrowsAny<Exception>(() => api.CreateClient());
        Assert.Contains("BatchAspire:Auth:AllowAnonymous", ex.ToString());
    }

    internal static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, string status)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        JsonElement job;
        do
        {
            job = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (job.GetProperty("status").GetString() == status) return job;
            await Task.Delay(100);
        }
        while (DateTimeOffset.UtcNow < deadline);
        throw new TimeoutException($"Job {id} did not reach '{status}'; last seen: {job}");
    }
}
