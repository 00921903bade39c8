using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;
using BatchAspire.Core.RateLimiting;
using BatchAspire.Core.Store;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace BatchAspire.Tests.RateLimiting;

/// <summary>
/// The outcome table of DESIGN.md §7 as ItemProcessor applies it, with the built-in simulator as provider and a
/// real store, in virtual time: backoffs, retry windows and deadlines are reached by advancing a FakeTimeProvider.
/// </summary>
public sealed class RetryOutcomeTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static (IHost Host, FakeTimeProvider Time, string Prefix) Build(Dictionary<string, string?> settings)
    {
        var time = new FakeTimeProvider(Start);
        var prefix = TestStores.UniquePrefix();
        var host = TestHost.Build(TestStores.Get("garnet"), prefix, worker: true, settings, s => s.AddSingleton<TimeProvider>(time));
        return (host, time, prefix);
    }

    private static LeasedItem Leased(DateTimeOffset at, List<AttemptRecord>? history = null, string jobId = "job_0a1b") =>
        new(jobId, 0, new StoredItem("item-1", "sim", "sim-1", "/v1/chat/completions",
            JsonDocument.Parse("""{"model":"sim-1","messages":[{"role":"user","content":"hello"}]}""").RootElement), history ?? [], at);

    /// <summary>Runs the processor, moving virtual time on while it waits (Polly's in-process delays use it).</summary>
    private static async Task<object> RunAsync(IHost host, FakeTimeProvider time, LeasedItem item)
    {
        var task = host.Services.GetRequiredService<ItemProcessor>().ProcessAsync(item, CancellationToken.None);
        for (var i = 0; i < 10_000 && !task.IsCompleted; i++)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }
        return await task;
    }

    [Fact]
    public async Task Transient_failures_retry_in_process_then_back_off_durably_with_every_attempt_recorded()
    {
        var (host, time, _) = Build(new()
        {
            ["BatchAspire:Providers:sim:FailureRate"] = "1",
            ["BatchAspire:Retries:InProcessRetries"] = "2",
            ["BatchAspire:Retries:BaseDelay"] = "00:00:01",
        });
        using var _ = host;

        var outcome = Assert.IsType<ItemReschedule>(await RunAsync(host, time, Leased(Start)));

        Assert.Equal(RescheduleKind.Retry, outcome.Kind);
        Assert.Equal([1, 2, 3], outcome.History.Select(a => a.Attempt));
        Assert.All(outcome.History, a => Assert.Equal("transient", a.Outcome));
        Assert.All(outcome.History, a => Assert.Equal(500, a.StatusCode));
        // Three failures: the durable backoff is 1 s · 2² with jitter in [d/2, d].
        Assert.InRange(outcome.Delay.TotalSeconds, 2, 4);
        // The in-process retries waited (virtual) time between attempts.
        Assert.True(outcome.History[1].StartedAt > outcome.History[0].StartedAt);
    }

    [Fact]
    public async Task The_last_allowed_attempt_fails_the_item_instead_of_retrying()
    {
        var (host, time, _) = Build(new()
        {
            ["BatchAspire:Providers:sim:FailureRate"] = "1",
            ["BatchAspire:Retries:MaxAttempts"] = "4",
            ["BatchAspire:Retries:InProcessRetries"] = "2",
        });
        using var _ = host;
        List<AttemptRecord> earlier = [.. Enumerable.Range(1, 3).Select(n => new AttemptRecord { Attempt = n, StartedAt = Start.ToUnixTimeMilliseconds(), Outcome = "transient" })];

        var outcome = Assert.IsType<ItemCompletion>(await RunAsync(host, time, Leased(Start, earlier)));

        var result = JsonDocument.Parse(outcome.ResultJson).RootElement;
        Assert.False(outcome.Succeeded);
        Assert.Equal(4, result.GetProperty("attempts").GetArrayLength()); // no in-process retry past MaxAttempts
        Assert.Contains("Gave up after 4 attempts", result.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_retry_past_the_retry_window_fails_with_retry_window_exceeded()
    {
        var (host, time, _) = Build(new()
        {
            ["BatchAspire:Providers:sim:FailureRate"] = "1",
            ["BatchAspire:Retries:InProcessRetries"] = "0",
            ["BatchAspire:Retries:RetryWindow"] = "00:10:00",
        });
        using var _ = host;
        time.Advance(TimeSpan.FromMinutes(10));
        List<AttemptRecord> first = [new() { Attempt = 1, StartedAt = Start.ToUnixTimeMilliseconds(), Outcome = "transient" }];

        var outcome = Assert.IsType<ItemCompletion>(await RunAsync(host, time, Leased(time.GetUtcNow(), first)));

        Assert.False(outcome.Succeeded);
        Assert.Equal("retry_window_exceeded", JsonDocument.Parse(outcome.ResultJson).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_retry_never_lands_after_the_jobs_deadline()
    {
        var (host, time, prefix) = Build(new()
        {
            ["BatchAspire:Providers:sim:FailureRate"] = "1",
            ["BatchAspire:Retries:InProcessRetries"] = "0",
            ["BatchAspire:Retries:BaseDelay"] = "00:01:00",
        });
        using var _ = host;
        var keys = new RedisKeys(prefix);
        await TestStores.Get("garnet").Connection.GetDatabase().HashSetAsync(keys.JobMeta("job_0dead"), "expires_at", Start.AddSeconds(20).ToUnixTimeSeconds());

        var outcome = Assert.IsType<ItemCompletion>(await RunAsync(host, time, Leased(Start, jobId: "job_0dead")));

        var error = JsonDocument.Parse(outcome.ResultJson).RootElement.GetProperty("error");
        Assert.Equal("retry_window_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("deadline", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_rate_limited_429_requeues_without_counting_an_attempt_and_cools_the_scope_down()
    {
        var (host, time, _) = Build(new()
        {
            ["BatchAspire:Providers:sim:RateLimitRate"] = "1",
            ["BatchAspire:Providers:sim:Limits:RequestsPerMinute"] = "6000",
        });
        using var _ = host;

        var outcome = Assert.IsType<ItemReschedule>(await RunAsync(host, time, Leased(Start)));

        Assert.Equal(RescheduleKind.RateLimited, outcome.Kind);
        Assert.Equal("rate_limited", outcome.History.Single().Outcome);
        Assert.Equal(0, new LeasedItem("job_0a1b", 0, Leased(Start).Item, outcome.History, Start).CountedAttempts);
        // The 429 reached the store as a shared cooldown (flushed at once, not after the release linger).
        var store = host.Services.GetRequiredService<RateLimitStore>();
        ScopeAccounting accounting;
        var waited = 0;
        do
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
            accounting = await store.AccountingAsync("sim/sim-1");
        } while (accounting.CooldownUntil is null && ++waited < 500);
        Assert.NotNull(accounting.CooldownUntil);
        Assert.True(accounting.RequestsGranted >= 1);
    }
}
