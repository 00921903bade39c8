using System.Diagnostics;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace BatchAspire.Tests.Dashboard;

/// <summary>
/// The dashboard in real headless Chromium (Playwright via Node, BatchAspire.Tests/Browser/dashboard.spec.mjs)
/// against the real Api process and a Worker on the test Garnet.
/// </summary>
public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static string BrowserDir => Path.Combine(Paths.RepoRoot, "BatchAspire.Tests", "Browser");

    [Fact]
    public async Task Dashboard_runs_a_sample_job_to_100_percent_shows_an_item_timeline_and_cancels_a_running_job()
    {
        await EnsureBrowserToolingAsync();
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();
        // sim answers in ~20 ms; slow-* is a second simulator slow enough to cancel mid-run.
        var providers = new Dictionary<string, string>
        {
            ["BatchAspire__Providers__sim__LatencyMs"] = "20",
            ["BatchAspire__Providers__slow__Type"] = "simulated",
            ["BatchAspire__Providers__slow__Models__0"] = "slow-*",
            ["BatchAspire__Providers__slow__LatencyMs"] = "3000",
        };
        await using var api = await ApiProcess.StartAsync(store, prefix, providers);
        using var worker = TestHost.Build(store, prefix, worker: true, new Dictionary<string, string?>(
            providers.Select(p => KeyValuePair.Create(p.Key.Replace("__", ":"), (string?)p.Value)))
        {
            ["BatchAspire:Worker:MaxConcurrency"] = "8",
        });
        await worker.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            // BATCHASPIRE_DASHBOARD_SCREENSHOT=docs/dashboard.png keeps the picture (how docs/dashboard.png is made).
            var keep = Environment.GetEnvironmentVariable("BATCHASPIRE_DASHBOARD_SCREENSHOT");
            var screenshot = keep is { Length: > 0 } ? Path.GetFullPath(keep, Paths.RepoRoot) : Path.Combine(Path.GetTempPath(), $"batchaspire-dashboard-{Guid.NewGuid():N}.png");
            var (exit, output) = await RunAsync("node", ["dashboard.spec.mjs", api.Url, screenshot], TimeSpan.FromMinutes(4));
            Assert.True(exit == 0, $"dashboard.spec.mjs failed ({exit}):\n{output}\n--- Api output ---\n{api.Output}");
            Assert.Contains("6 passed, 0 failed", output);
            Assert.True(new FileInfo(screenshot).Length > 10_000, "the job page screenshot is missing or empty");
            if (keep is not { Length: > 0 }) File.Delete(screenshot);
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>node and Chromium must be installed; playwright-core is installed from package-lock.json when missing.</summary>
    private static async Task EnsureBrowserToolingAsync()
    {
        if (!File.Exists(Chromium)) Assert.Skip($"Chromium is not installed at {Chromium} (apt-get install -y chromium).");
        if (await TryRunAsync("node", ["--version"]) is not 0) Assert.Skip("Node.js is not installed (apt-get install -y nodejs npm).");
        if (Directory.Exists(Path.Combine(BrowserDir, "node_modules", "playwright-core"))) return;
        if (await TryRunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(3)) is not 0
            || !Directory.Exists(Path.Combine(BrowserDir, "node_modules", "playwright-core")))
        {
            Assert.Skip($"playwright-core is not installed and `npm ci` in {BrowserDir} failed.");
        }
    }

    private static async Task<int?> TryRunAsync(string file, string[] args, TimeSpan? timeout = null)
    {
        try
        {
            return (await RunAsync(file, args, timeout ?? TimeSpan.FromSeconds(30))).Exit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = BrowserDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"timed out after {timeout}\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
