using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BatchAspire.Tests.V1;

/// <summary>
/// Expiry runs on the store's clock (Redis TIME), which virtual time cannot move, so these use a short real
/// window and wait for it to pass; nothing asserts how long anything took.
/// </summary>
public sealed class BatchExpiryTests
{
    public static TheoryData<string> Stores => TestStores.Names;

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Job_past_its_deadline_expires_and_fails_unfinished_items_with_batch_expired(string storeName)
    {
        var store = TestStores.Get(storeName);
        using var host = TestHost.Build(store, TestStores.UniquePrefix(), worker: false);
        var jobs = host.Services.GetRequiredService<JobStore>();
        var queue = host.Services.GetRequiredService<WorkQueue>();
        var id = NewJob.NewId();
        var body = JsonDocument.Parse("""{"model":"sim-small","messages":[]}""").RootElement;
        StoredItem[] items = [.. Enumerable.Range(0, 5).Select(i => new StoredItem($"item-{i}", "sim", "sim-small", "/v1/chat/completions", body))];
        await jobs.CreateAsync(new NewJob(id, "default", "fast", "sim-small", items, null) { CompletionWindow = "3s", CompletionWindowLength = TimeSpan.FromSeconds(3) });

        // expires_at is in whole seconds, so a 1 s window could pass within milliseconds of creation; 3 s leaves
        // at least 2 s for the steps that must happen before the deadline.
        var created = (await jobs.GetAnyAsync(id))!;
        Assert.Equal(created.InProgressAt + 3, created.ExpiresAt);
        // Before the deadline: one item is leased (in flight) and one finishes normally; expiry does nothing yet.
        var leased = await queue.LeaseAsync(id, 2, TimeSpan.FromMinutes(5));
        Assert.Equal(2, leased.Items.Count);
        var done = leased.Items[0];
        await queue.CompleteAsync(id, [new ItemCompletion(id, done.Index, true, """{"custom_id":"item-0","status":"succeeded"}"""u8.ToArray(), TokenUsage.None, 0)]);
        Assert.Equal((JobStatus.InProgress, false), await queue.ExpireAsync(id, 2));

        // Wait for the store's clock to pass the deadline (at most ~4 s after creation).
        var waited = 0;
        while ((await queue.LeaseAsync(id, 1, TimeSpan.FromMinutes(5))).Items.Count > 0 || !await PastDeadlineAsync(queue, id))
        {
            Assert.True(++waited < 200, "The deadline never passed.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        // Past the deadline nothing more is leased.
        Assert.Empty((await queue.LeaseAsync(id, 10, TimeSpan.FromMinutes(5))).Items);

        var calls = 1; // PastDeadlineAsync already wrote the first chunk
        string status;
        bool more;
        do
        {
            (status, more) = await queue.ExpireAsync(id, 2);
            calls++;
        } while (more);

        Assert.Equal(JobStatus.Expired, status);
        Assert.True(calls >= 3, "Five items in chunks of two take several calls.");
        var job = (await jobs.GetAnyAsync(id))!;
        Assert.Equal(JobStatus.Expired, job.Status);
        Assert.NotNull(job.ExpiredAt);
        Assert.Equal(1, job.Counts.Completed);
        Assert.True(job.Counts.Failed >= 3, $"Expected the unfinished items to fail, got {job.Counts.Failed}.");
        Assert.Equal(5, job.Counts.Completed + job.Counts.Failed);

        var results = await jobs.ReadIndexedResultsAsync(id, 0, 5);
        Assert.Equal(5, results.Count);
        foreach (var (index, json) in results.Where(r => r.Index != done.Index))
        {
            using var result = JsonDocument.Parse(json);
            Assert.Equal($"item-{index}", result.RootElement.GetProperty("custom_id").GetString());
            Assert.Equal("failed", result.RootElement.GetProperty("status").GetString());
            Assert.Equal("batch_expired", result.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        // The call that was in flight at the deadline finishes late: its result is not recorded twice.
        var late = leased.Items[1];
        var (recorded, after) = await queue.CompleteAsync(id, [new ItemCompletion(id, late.Index, true, "{}"u8.ToArray(), TokenUsage.None, 0)]);
        Assert.Equal(0, recorded);
        Assert.Equal(JobStatus.Expired, after);
    }

    [Fact]
    public async Task Worker_expires_a_running_job_whose_window_passed()
    {
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();
        using var host = TestHost.Build(store, prefix, worker: true, new Dictionary<string, string?>
        {
            ["BatchAspire:Worker:ReapInterval"] = "00:00:00.100",
            ["BatchAspire:Providers:sim:LatencyMs"] = "60000",
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var jobs = host.Services.GetRequiredService<JobStore>();
        var id = NewJob.NewId();
        var body = JsonDocument.Parse("""{"model":"sim-small","messages":[]}""").RootElement;
        StoredItem[] items = [.. Enumerable.Range(0, 3).Select(i => new StoredItem($"w-{i}", "sim", "sim-small", "/v1/chat/completions", body))];
        await jobs.CreateAsync(new NewJob(id, "default", "fast", "sim-small", items, null) { CompletionWindow = "2s", CompletionWindowLength = TimeSpan.FromSeconds(2) });

        Job job;
        var polls = 0;
        while ((job = (await jobs.GetAnyAsync(id))!).Status != JobStatus.Expired)
        {
            Assert.True(++polls < 300, $"Job still {job.Status}.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Equal(3, job.Counts.Failed);
        Assert.NotNull(job.ExpiredAt);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<bool> PastDeadlineAsync(WorkQueue queue, string id)
    {
        var (status, more) = await queue.ExpireAsync(id, 2);
        return more || status == JobStatus.Expired;
    }
}
