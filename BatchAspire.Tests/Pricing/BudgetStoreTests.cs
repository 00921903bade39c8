using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;
using BatchAspire.Core.Store;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace BatchAspire.Tests.Pricing;

/// <summary>reserve_budget.lua and the releases in complete/reschedule/reap, against each real store, with 15-digit picodollar amounts.</summary>
public sealed class BudgetStoreTests
{
    private static readonly ItemError Refusal = new("budget_exceeded", "stopped");

    [Theory, MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Reservations_fit_the_budget_exactly_are_released_on_completion_and_the_first_refusal_closes_it(string storeName)
    {
        var store = TestStores.Get(storeName);
        var prefix = TestStores.UniquePrefix();
        using var host = TestHost.Build(store, prefix, worker: false);
        var jobs = host.Services.GetRequiredService<JobStore>();
        var queue = host.Services.GetRequiredService<WorkQueue>();
        var keys = host.Services.GetRequiredService<RedisKeys>();
        var db = store.Connection.GetDatabase();

        // 400 USD budget: 15-digit picodollar amounts, which Lua would print as %.14g if they were numbers.
        const long budget = 400_000_000_000_000;
        const long call = 123_456_789_012_345; // three fit (370.37 USD), a fourth does not
        var job = new NewJob(NewJob.NewId(), "tenant-b", "fast", "gpt-4o",
            [.. Enumerable.Range(0, 5).Select(i => new StoredItem($"c{i}", "openai", "gpt-4o", "/v1/chat/completions", JsonDocument.Parse("{}").RootElement))],
            null, budget);
        await jobs.CreateAsync(job);
        var leased = (await queue.LeaseAsync(job.Id, 5, TimeSpan.FromSeconds(30))).Items;

        Assert.True(await queue.ReserveBudgetAsync(job.Id, 0, call, Refusal));
        Assert.True(await queue.ReserveBudgetAsync(job.Id, 1, call, Refusal));
        Assert.True(await queue.ReserveBudgetAsync(job.Id, 2, call, Refusal));
        Assert.Equal(3 * call, (long)await db.HashGetAsync(keys.JobMeta(job.Id), "reserved_pico"));

        // Item 0 completes for less than it reserved: its reservation is released and the actual cost added.
        await queue.CompleteAsync(job.Id, [new ItemCompletion(job.Id, 0, true, "{}"u8.ToArray(), new TokenUsage(1, 1), 100_000_000_000_001)]);
        Assert.Equal(2 * call, (long)await db.HashGetAsync(keys.JobMeta(job.Id), "reserved_pico"));
        // Item 1 is rescheduled: released too.
        await queue.RescheduleAsync(job.Id, [new ItemReschedule(job.Id, 1, TimeSpan.Zero, [], RescheduleKind.Retry)]);
        Assert.Equal(call, (long)await db.HashGetAsync(keys.JobMeta(job.Id), "reserved_pico"));

        // Spent 100.000000000001 + reserved 123.45… + 123.45… = 346.9… fits; one more (470.3…) does not, and closes the budget.
        Assert.True(await queue.ReserveBudgetAsync(job.Id, 3, call, Refusal));
        Assert.False(await queue.ReserveBudgetAsync(job.Id, 4, call, Refusal));
        Assert.False(await queue.ReserveBudgetAsync(job.Id, 4, 1, Refusal)); // even a tiny call: the budget stays closed
        var stopped = await jobs.GetAnyAsync(job.Id);
        Assert.Equal("budget_exceeded", stopped!.Error!.Code);
        Assert.Equal(400m, stopped.MaxCostUsd);

        // Finish everything: the job ends failed (budget-stopped), nothing stays reserved, the tenant counter matches.
        await queue.CompleteAsync(job.Id, [.. leased.Where(l => l.Index != 0).Select(l => new ItemCompletion(job.Id, l.Index, false, "{}"u8.ToArray(), TokenUsage.None, 0))]);
        var done = await jobs.GetAnyAsync(job.Id);
        Assert.Equal(JobStatus.Failed, done!.Status);
        Assert.NotNull(done.FailedAt);
        Assert.Equal(0, (long)await db.HashGetAsync(keys.JobMeta(job.Id), "reserved_pico"));
        Assert.Equal(100.000000000001m, done.CostUsd);
        var tenant = await host.Services.GetRequiredService<BatchAspire.Core.Pricing.TenantUsageStore>().GetAsync("tenant-b");
        Assert.Equal(100.000000000001m, tenant.CostUsd);
        Assert.Equal(1, tenant.Succeeded);
        Assert.Equal(4, tenant.Failed);
    }
}
