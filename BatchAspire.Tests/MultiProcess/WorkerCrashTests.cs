using System.Net.Http.Json;
using System.Text.Json;
using BatchAspire.Tests.Api;
using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.MultiProcess;

/// <summary>Real Api and Worker processes on one store; one Worker is killed with SIGKILL mid-job.</summary>
public sealed class WorkerCrashTests
{
    [Fact]
    public async Task Worker_killed_mid_job_loses_no_item_and_duplicates_none()
    {
        var store = TestStores.Get("garnet");
        var port = TestStores.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = store.ConnectionString,
            ["BatchAspire__Store__KeyPrefix"] = TestStores.UniquePrefix(),
            ["BatchAspire__Providers__sim__LatencyMs"] = "40",
            ["BatchAspire__Providers__sim__LatencyJitterMs"] = "20",
            ["BatchAspire__Worker__MaxConcurrency"] = "50",
            // Short leases so the killed Worker's items come back within seconds.
            ["BatchAspire__Worker__LeaseDuration"] = "00:00:03",
            ["BatchAspire__Worker__ReapInterval"] = "00:00:01",
        };
        using var api = ServiceProcess.Start("BatchAspire.Api", new Dictionary<string, string>(env) { ["ASPNETCORE_URLS"] = url });
        using var doomed = ServiceProcess.Start("BatchAspire.Worker", env);
        using var survivor = ServiceProcess.Start("BatchAspire.Worker", env);
        await ServiceProcess.WaitForHealthAsync(url, api, TimeSpan.FromMinutes(1));
        using var client = new HttpClient { BaseAddress = new Uri(url) };

        var submitted = await client.PostAsJsonAsync("/api/jobs", new
        {
            model = "sim-1",
            items = Enumerable.Range(0, 2000).Select(i => new { custom_id = $"item-{i}", body = new { messages = new[] { new { role = "user", content = $"n{i}" } } } }),
        });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        // Kill one Worker once the job is well under way, while it holds leases.
        await WaitUntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("counts").GetProperty("completed").GetInt64() >= 400);
        doomed.KillHard();

        var done = await JobsApiTests.WaitForStatusAsync(client, id, "completed");
        var lines = (await client.GetStringAsync($"/api/jobs/{id}/results")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ids = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();

        Assert.Equal(2000, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(2000, ids.Count);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => $"item-{i}"), ids);
        Assert.False(survivor.HasExited, survivor.Output);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException("Condition not met within 2 minutes.");
            await Task.Delay(50);
        }
    }
}
