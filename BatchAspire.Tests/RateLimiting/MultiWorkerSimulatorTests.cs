using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.RateLimiting;

/// <summary>Several real Worker processes sharing one limit through the store, against the built-in simulator.</summary>
[Collection(BatchAspire.Tests.Infrastructure.TimingSensitiveCollection.Name)]
public sealed class MultiWorkerSimulatorTests
{
    private static long[] SendTimes(IEnumerable<JsonElement> results) =>
        [.. results.SelectMany(r => r.GetProperty("attempts").EnumerateArray())
            .Where(a => a.GetProperty("outcome").GetString() is not ("released" or null))
            .Select(a => a.GetProperty("started_at").GetInt64())
            .Order()];

    private static int PeakIn(long[] sorted, long windowMs)
    {
        var peak = 0;
        for (int i = 0, j = 0; i < sorted.Length; i++)
        {
            while (sorted[i] - sorted[j] >= windowMs) j++;
            peak = Math.Max(peak, i - j + 1);
        }
        return peak;
    }

    [Fact]
    public async Task Three_worker_processes_share_one_requests_per_minute_limit_in_every_rolling_second()
    {
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();
        var settings = new Dictionary<string, string>
        {
            ["BatchAspire:Providers:sim:Limits:RequestsPerMinute"] = "600",
            ["BatchAspire:Providers:sim:LatencyMs"] = "30",
            ["BatchAspire:RateLimits:Burst"] = "00:00:00.100",
        };
        using var driver = new JobDriver(store, prefix);
        using var w1 = WorkerProcess.Start(store, prefix, settings);
        using var w2 = WorkerProcess.Start(store, prefix, settings);
        using var w3 = WorkerProcess.Start(store, prefix, settings);
        var job = await driver.SubmitAsync("sim-1", Enumerable.Range(0, 150).Select(i => ($"c{i}", JobDriver.Chat("sim-1", $"item {i}"))));

        var done = await driver.WaitFinishedAsync(job.Id, TimeSpan.FromSeconds(90));

        Assert.True(done.Status == JobStatus.Completed, $"{done.Status} {done.Counts}\n{w1.Output}");
        Assert.Equal(150, done.Counts.Completed);
        var sends = SendTimes(await driver.ResultsAsync(job.Id, 150));
        // 600 RPM is 10 a second; a 100 ms burst adds one. Never more in any rolling second, across all three Workers.
        Assert.True(PeakIn(sends, 1000) <= 11, $"peak {PeakIn(sends, 1000)} calls in one second");
        // Every call went through the shared limiter (a slot given back unused, when a busy Worker missed it, is not a call).
        var accounting = await driver.Limits.AccountingAsync("sim/sim-1");
        for (var i = 0; i < 100 && accounting.RequestsReleased < accounting.RequestsGranted; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            accounting = await driver.Limits.AccountingAsync("sim/sim-1");
        }
        Assert.Equal(150, accounting.RequestsGranted - accounting.RequestsNotAdmitted);
    }

    [Fact]
    public async Task Delayed_retries_survive_a_worker_restart()
    {
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();
        var settings = new Dictionary<string, string>
        {
            ["BatchAspire:Providers:sim:FailureRate"] = "0.5",
            ["BatchAspire:Providers:sim:LatencyMs"] = "10",
            ["BatchAspire:Retries:InProcessRetries"] = "0",
            ["BatchAspire:Retries:BaseDelay"] = "00:00:02",
            ["BatchAspire:Retries:MaxDelay"] = "00:00:04",
            ["BatchAspire:Retries:MaxAttempts"] = "30",
            ["BatchAspire:Worker:LeaseDuration"] = "00:00:03",
            ["BatchAspire:Worker:ReapInterval"] = "00:00:00.500",
        };
        using var driver = new JobDriver(store, prefix);
        var first = WorkerProcess.Start(store, prefix, settings);
        var job = await driver.SubmitAsync("sim-1", Enumerable.Range(0, 40).Select(i => ($"c{i}", JobDriver.Chat("sim-1", $"item {i}"))));

        // Wait until retries sit in the durable delayed set, then kill the Worker outright.
        var waiting = await driver.WaitFinishedAsync(job.Id, TimeSpan.FromSeconds(30), j => j.Counts.Retrying > 0);
        Assert.True(waiting.Counts.Retrying > 0, $"no retry was scheduled: {waiting.Counts}");
        first.Dispose();
        using var second = WorkerProcess.Start(store, prefix, settings);

        var done = await driver.WaitFinishedAsync(job.Id, TimeSpan.FromSeconds(120));

        Assert.True(done.Status == JobStatus.Completed, $"{done.Status} {done.Counts}\n{second.Output}");
        Assert.Equal(40, done.Counts.Completed);
        var results = await driver.ResultsAsync(job.Id, 40);
        Assert.Equal(40, results.Select(r => r.GetProperty("custom_id").GetString()).Distinct().Count());
        Assert.All(results, r => Assert.Equal("succeeded", r.GetProperty("status").GetString()));
        Assert.Contains(results, r => r.GetProperty("attempts").EnumerateArray().Any(a => a.GetProperty("outcome").GetString() == "transient"));
    }
}
