using System.Net.Http.Json;
using System.Text.Json;
using BatchAspire.Tests.Api;
using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.MultiProcess;

/// <summary>The launcher a newcomer runs: embedded Garnet, the Api and a Worker as child processes.</summary>
public sealed class AppHostTests
{
    [Fact]
    public async Task AppHost_starts_everything_serves_health_and_runs_a_job_end_to_end()
    {
        var port = TestStores.FreePort();
        var url = $"http://localhost:{port}";
        var dataDir = Directory.CreateTempSubdirectory("batchaspire-apphost-").FullName;
        using var appHost = ServiceProcess.Start("BatchAspire.AppHost", new Dictionary<string, string>(),
            "--api-port", port.ToString(), "--data-dir", dataDir, "--workers", "2");
        await ServiceProcess.WaitForHealthAsync(url, appHost, TimeSpan.FromMinutes(1));
        using var client = new HttpClient { BaseAddress = new Uri(url) };

        var submitted = await client.PostAsJsonAsync("/api/jobs", new
        {
            model = "sim-1",
            items = Enumerable.Range(0, 20).Select(i => new { custom_id = $"c{i}", body = new { messages = new[] { new { role = "user", content = "hi" } } } }),
        });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var done = await JobsApiTests.WaitForStatusAsync(client, id, "completed");

        Assert.Equal(20, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Contains("embedded Garnet", appHost.Output);
        Assert.Contains($"curl -s {url}/api/jobs", appHost.Output);
        Assert.True(Directory.EnumerateFileSystemEntries(dataDir, "*", SearchOption.AllDirectories).Any(), "Garnet wrote no data (AOF) under --data-dir");

        // Ctrl+C (SIGTERM) stops the children and the launcher cleanly.
        Assert.Equal(0, await appHost.StopAsync(TimeSpan.FromSeconds(45)));
        Assert.Contains("Stopped.", appHost.Output);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/health"));
    }

    [Fact]
    public async Task A_child_that_dies_is_reported_and_restarted()
    {
        var port = TestStores.FreePort();
        var url = $"http://localhost:{port}";
        using var appHost = ServiceProcess.Start("BatchAspire.AppHost", new Dictionary<string, string>(),
            "--api-port", port.ToString(), "--data-dir", Directory.CreateTempSubdirectory("batchaspire-apphost-").FullName);
        await ServiceProcess.WaitForHealthAsync(url, appHost, TimeSpan.FromMinutes(1));

        var apiPid = FindChild(appHost.Id, "BatchAspire.Api.dll");
        System.Diagnostics.Process.GetProcessById(apiPid).Kill();
        await ServiceProcess.WaitForHealthAsync(url, appHost, TimeSpan.FromMinutes(1));

        Assert.Contains("[api] exited with code", appHost.Output);
        Assert.NotEqual(apiPid, FindChild(appHost.Id, "BatchAspire.Api.dll"));
    }

    private static int FindChild(int parent, string dll)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (ppid == parent && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(dll)) return pid;
            }
            catch (IOException)
            {
            }
        }
        throw new InvalidOperationException($"No child of {parent} runs {dll}.");
    }
}
