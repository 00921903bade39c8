using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BatchAspire.FakeProvider;
using BatchAspire.Tests.Api;
using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.Modes;

/// <summary>The real Api and Workers on Garnet, with the openai provider pointed at the Kestrel fake (which speaks the Batch API).</summary>
internal sealed class ModesHarness : IAsyncDisposable
{
    public const string Key = "sk-modes-test-key";

    public FakeProviderServer Fake { get; }
    public ApiFactory Api { get; }
    public HttpClient Client { get; }

    private ModesHarness(FakeProviderServer fake, ApiFactory api)
    {
        Fake = fake;
        Api = api;
        Client = api.CreateClient();
    }

    public static async Task<ModesHarness> StartAsync(Action<FakeProviderOptions>? fake = null, IDictionary<string, string?>? settings = null)
    {
        var options = new FakeProviderOptions { ApiKey = Key, Seed = 7 };
        fake?.Invoke(options);
        var server = await FakeProviderServer.StartAsync(options);
        var all = new Dictionary<string, string?>
        {
            ["BatchAspire:Providers:openai:BaseUrl"] = server.BaseUrl,
            ["BatchAspire:Providers:openai:ApiKey"] = Key,
            ["BatchAspire:Providers:anthropic:BaseUrl"] = server.BaseUrl,
            ["BatchAspire:Providers:anthropic:ApiKey"] = Key,
            ["BatchAspire:Providers:gemini:BaseUrl"] = server.RootUrl + "v1beta",
            ["BatchAspire:Providers:gemini:ApiKey"] = Key,
            ["BatchAspire:Modes:Tick"] = "00:00:00.050",
            ["BatchAspire:Modes:MinPollInterval"] = "00:00:00.050",
            ["BatchAspire:Modes:MaxPollInterval"] = "00:00:00.200",
            ["BatchAspire:Modes:ClaimDuration"] = "00:00:02",
            ["BatchAspire:Modes:MaxItemsPerProviderBatch"] = "4",
            ["BatchAspire:Modes:AutoEconomyMinItems"] = "5",
        };
        if (settings is not null) foreach (var (k, v) in settings) all[k] = v;
        return new ModesHarness(server, new ApiFactory(TestStores.Get("garnet"), TestStores.UniquePrefix(), all));
    }

    public static object Job(int n, string mode, string model = "gpt-4o-mini", string? window = null) => new
    {
        model,
        mode,
        completion_window = window,
        items = Enumerable.Range(0, n).Select(i => new { custom_id = $"c{i}", body = new { messages = new[] { new { role = "user", content = $"Say something about the number {i}" } } } }),
    };

    public async Task<JsonElement> SubmitAsync(object job)
    {
        var created = await Client.PostAsJsonAsync("/api/jobs", job);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(created.StatusCode == HttpStatusCode.Accepted, body.ToString());
        return body;
    }

    public Task<JsonElement> WaitAsync(JsonElement job, string status) => JobsApiTests.WaitForStatusAsync(Client, job.GetProperty("id").GetString()!, status);

    public async Task<List<JsonElement>> ResultsAsync(JsonElement job) =>
        [.. (await Client.GetStringAsync($"/api/jobs/{job.GetProperty("id").GetString()}/results"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        await Fake.DisposeAsync();
    }
}
