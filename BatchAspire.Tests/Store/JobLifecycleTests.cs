using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;
using BatchAspire.Core.Store;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace BatchAspire.Tests.Store;

/// <summary>The job state machine in Lua, against each real store.</summary>
public sealed class JobLifecycleTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private sealed record Parts(JobStore Jobs, WorkQueue Queue, RedisKeys Keys, IDatabase Db);

    private static Parts Start(string storeName, IDictionary<string, string?>? settings = null)
    {
        var store = TestStores.Get(storeName);
        var host = TestHost.Build(store, TestStores.UniquePrefix(), worker: false, settings);
        var sp = host.Services;
        return new Parts(sp.GetRequiredService<JobStore>(), sp.GetRequiredService<WorkQueue>(), sp.GetRequiredService<RedisKeys>(), store.Connection.GetDatabase());
    }

    private static NewJob Job(int items, string tenant = "t1") => new(
        NewJob.NewId(), tenant, "fast", "sim-1",
        [.. Enumerable.Range(0, items).Select(i => new StoredItem($"item-{i}", "sim", "sim-1", "/v1/chat/completions", JsonDocument.Parse($$"""{"model":"sim-1","n":{{i}}}""").RootElement))],
        null);

    private static ItemCompletion Success(LeasedItem item) =>
        new(item.JobId, item.Index, true, System.Text.Encoding.UTF8.GetBytes($$"""{"custom_id":"{{item.Item.CustomId}}"}"""), new TokenUsage(3, 4), 5);

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Every_item_leased_and_completed_once_completes_the_job_with_exact_counts(string store)
    {
        var p = Start(store);
        var job = Job(250);
        await p.Jobs.CreateAsync(job);

        var seen = new HashSet<string>();
        while (true)
        {
            var batch = await p.Queue.LeaseAsync(job.Id, 64, Lease);
            if (batch.Items.Count == 0) break;
            foreach (var item in batch.Items) Assert.True(seen.Add(item.Item.CustomId), $"{item.Item.CustomId} leased twice");
            await p.Queue.CompleteAsync(job.Id, [.. batch.Items.Select(Success)]);
        }

        var done = await p.Jobs.GetAnyAsync(job.Id);
        Assert.Equal(250, seen.Count);
        Assert.Equal(JobStatus.Completed, done!.Status);
        Assert.Equal(new JobCounts(250, 250, 0, 0, 0, 0), done.Counts);
        Assert.Equal(new TokenUsage(750, 1000), done.Usage);
        Assert.Equal(250 * 5 / 1e12m, done.CostUsd);
        Assert.NotNull(done.CompletedAt);
        Assert.Empty(await p.Queue.ActiveJobIdsAsync());
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_second_result_for_the_same_item_is_a_no_op(string store)
    {
        var p = Start(store);
        var job = Job(2);
        await p.Jobs.CreateAsync(job);
        var batch = await p.Queue.LeaseAsync(job.Id, 1, Lease);

        var (first, _) = await p.Queue.CompleteAsync(job.Id, [Success(batch.Items[0])]);
        var (second, _) = await p.Queue.CompleteAsync(job.Id, [Success(batch.Items[0]) with { Succeeded = false }]);

        Assert.Equal(1, first);
        Assert.Equal(0, second);
        var counts = (await p.Jobs.GetAnyAsync(job.Id))!.Counts;
        Assert.Equal(1, counts.Completed);
        Assert.Equal(0, counts.Failed);
        var (results, consumed) = await p.Jobs.ReadResultsInCompletionOrderAsync(job.Id, 0, 10);
        Assert.Equal(1, consumed);
        Assert.Single(results);
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_small_job_submitted_after_a_large_one_is_not_starved(string store)
    {
        var p = Start(store);
        var large = Job(5000);
        var small = Job(10);
        await p.Jobs.CreateAsync(large);
        await p.Jobs.CreateAsync(small);

        var smallLeased = 0;
        for (var round = 0; round < 4 && smallLeased < 10; round++)
        {
            var jobId = await p.Queue.NextActiveJobAsync();
            var batch = await p.Queue.LeaseAsync(jobId!, 5, Lease);
            if (jobId == small.Id) smallLeased += batch.Items.Count;
        }

        // Round-robin: within 4 lease rounds of 5 items, the small job got two turns, i.e. all 10 of its items.
        Assert.Equal(10, smallLeased);
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task An_expired_lease_is_reaped_back_and_leased_again(string store)
    {
        var p = Start(store);
        var job = Job(3);
        await p.Jobs.CreateAsync(job);
        var first = await p.Queue.LeaseAsync(job.Id, 3, TimeSpan.FromMilliseconds(50));
        Assert.Equal(3, first.Items.Count);
        Assert.Empty((await p.Queue.LeaseAsync(job.Id, 3, Lease)).Items);

        await WaitForStoreClockAsync(TimeSpan.FromMilliseconds(150));
        var (reaped, _) = await p.Queue.ReapExpiredLeasesAsync(job.Id);
        var again = await p.Queue.LeaseAsync(job.Id, 3, Lease);

        Assert.Equal(3, reaped);
        Assert.Equal(first.Items.Select(i => i.Index).Order(), again.Items.Select(i => i.Index).Order());
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_reaped_item_that_already_has_a_result_is_not_run_again(string store)
    {
        var p = Start(store);
        var job = Job(1);
        await p.Jobs.CreateAsync(job);
        var leased = await p.Queue.LeaseAsync(job.Id, 1, TimeSpan.FromMilliseconds(50));
        await WaitForStoreClockAsync(TimeSpan.FromMilliseconds(150));

        // The lease ran out, but the slow Worker's result still arrives first: it is accepted once.
        var (recorded, status) = await p.Queue.CompleteAsync(job.Id, [Success(leased.Items[0])]);
        var (reaped, _) = await p.Queue.ReapExpiredLeasesAsync(job.Id);

        Assert.Equal(1, recorded);
        Assert.Equal(JobStatus.Completed, status);
        Assert.Equal(0, reaped);
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_delayed_retry_waits_in_the_store_until_it_is_due(string store)
    {
        var p = Start(store);
        var job = Job(1);
        await p.Jobs.CreateAsync(job);
        var leased = (await p.Queue.LeaseAsync(job.Id, 1, Lease)).Items[0];
        var history = new List<AttemptRecord> { new() { Attempt = 1, Outcome = "transient", StatusCode = 503 } };

        await p.Queue.RescheduleAsync(job.Id, [new ItemReschedule(job.Id, leased.Index, TimeSpan.FromMilliseconds(300), history, RescheduleKind.Retry)]);
        var early = await p.Queue.LeaseAsync(job.Id, 1, Lease);
        var retrying = (await p.Jobs.GetAnyAsync(job.Id))!;
        await WaitForStoreClockAsync(TimeSpan.FromMilliseconds(400));
        var due = await p.Queue.LeaseAsync(job.Id, 1, Lease);

        Assert.Empty(early.Items);
        Assert.NotNull(early.NextDueIn);
        Assert.Equal(1, retrying.Counts.Retrying);
        Assert.Equal(1, retrying.Retries);
        var item = Assert.Single(due.Items);
        Assert.Equal(503, Assert.Single(item.History).StatusCode);
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Cancel_stops_dispatch_at_once_and_in_flight_results_are_still_recorded(string store)
    {
        var p = Start(store);
        var job = Job(100);
        await p.Jobs.CreateAsync(job);
        var inFlight = await p.Queue.LeaseAsync(job.Id, 5, Lease);

        var cancelling = await p.Jobs.CancelAsync("t1", job.Id);
        var afterCancel = await p.Queue.LeaseAsync(job.Id, 10, Lease);
        var (recorded, status) = await p.Queue.CompleteAsync(job.Id, [.. inFlight.Items.Select(Success)]);
        var cancelled = await p.Jobs.GetAnyAsync(job.Id);

        Assert.Equal(JobStatus.Cancelling, cancelling!.Status);
        Assert.Equal(JobStatus.Cancelling, afterCancel.Status);
        Assert.Empty(afterCancel.Items);
        Assert.Equal(5, recorded);
        Assert.Equal(JobStatus.Cancelled, status);
        Assert.Equal(5, cancelled!.Counts.Completed);
        Assert.NotNull(cancelled.CancelledAt);
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_finished_job_keeps_its_data_for_the_retention_period_only(string store)
    {
        var p = Start(store, new Dictionary<string, string?> { ["BatchAspire:Store:Retention"] = "02:00:00" });
        var job = Job(1);
        await p.Jobs.CreateAsync(job);
        Assert.Null(await p.Db.KeyTimeToLiveAsync(p.Keys.JobItems(job.Id))); // live: nothing expires

        var leased = await p.Queue.LeaseAsync(job.Id, 1, Lease);
        await p.Queue.CompleteAsync(job.Id, [Success(leased.Items[0])]);

        foreach (var key in new[] { p.Keys.JobMeta(job.Id), p.Keys.JobItems(job.Id), p.Keys.JobResults(job.Id), p.Keys.JobIds(job.Id) })
        {
            var ttl = await p.Db.KeyTimeToLiveAsync(key);
            Assert.NotNull(ttl);
            Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(119), TimeSpan.FromHours(2));
        }
    }

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Another_tenants_job_is_invisible(string store)
    {
        var p = Start(store);
        var job = Job(1, tenant: "alice");
        await p.Jobs.CreateAsync(job);

        Assert.NotNull(await p.Jobs.GetAsync("alice", job.Id));
        Assert.Null(await p.Jobs.GetAsync("bob", job.Id));
        Assert.Null(await p.Jobs.CancelAsync("bob", job.Id));
        Assert.Empty((await p.Jobs.ListAsync("bob", 10, null, null)).Jobs);
        Assert.Equal(JobStatus.InProgress, (await p.Jobs.GetAnyAsync(job.Id))!.Status);
    }

    /// <summary>Lets the store's clock (which the scripts use) move past a lease or due time.</summary>
    private static Task WaitForStoreClockAsync(TimeSpan span) => Task.Delay(span);
}
