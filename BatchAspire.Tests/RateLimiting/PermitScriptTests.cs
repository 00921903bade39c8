using BatchAspire.Core.Providers;
using BatchAspire.Core.RateLimiting;
using BatchAspire.Core.Store;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Tests.RateLimiting;

/// <summary>acquire_permit.lua and release_permit.lua against the real stores: every dimension, the clock is the store's.</summary>
public sealed class PermitScriptTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    private sealed record Fixture(RateLimitStore Store, RedisKeys Keys, IConnectionMultiplexer Redis, string Scope)
    {
        public PermitScope Limits(int rpm = 0, int tpm = 0, int concurrency = 0) =>
            new(Scope, new ScopeLimits(rpm, tpm, concurrency), null, null, Ttl);

        public async Task<long> StoreNowMs()
        {
            var t = await Redis.GetServer(Redis.GetEndPoints()[0]).TimeAsync();
            return new DateTimeOffset(t, TimeSpan.Zero).ToUnixTimeMilliseconds();
        }
    }

    private static Fixture Create(string storeName, Action<RateLimitOptions>? configure = null)
    {
        var store = TestStores.Get(storeName);
        var keys = new RedisKeys(TestStores.UniquePrefix());
        var options = new RateLimitOptions { Burst = TimeSpan.FromMilliseconds(100), Horizon = TimeSpan.Zero, Utilization = 1.0, Slice = TimeSpan.Zero };
        configure?.Invoke(options);
        return new Fixture(new RateLimitStore(store.Connection, new JobScripts(store.Connection), keys, Options.Create(options)), keys, store.Connection, "openai/gpt-4o-mini");
    }

    private static PermitRequest[] Items(int count, long prompt = 0, long maxOutput = 0) =>
        [.. Enumerable.Range(0, count).Select(_ => new PermitRequest(Guid.NewGuid().ToString("N"), prompt, maxOutput))];

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task An_item_short_of_tokens_takes_no_request_slot_either(string storeName)
    {
        // 600 RPM and 600 TPM with a one-second burst: 10 requests and 10 tokens.
        var f = Create(storeName, o => o.Burst = TimeSpan.FromSeconds(1));
        var scope = f.Limits(rpm: 600, tpm: 600);

        var first = await f.Store.AcquireAsync(scope, [new PermitRequest("a", 8, 0), new PermitRequest("b", 5, 0)]);

        Assert.Single(first.Grants);
        Assert.Equal(8, first.Grants[0].Tokens);
        Assert.Equal(AcquireResult.Rate, first.Reason);
        Assert.InRange(first.RetryIn.TotalMilliseconds, 200, 300); // 3 tokens short at 100 ms a token
        // Token-free items show what is left of the request bucket: all of it but the one granted call
        // (plus one more if the store's clock passed 100 ms in between).
        var requestsLeft = await f.Store.AcquireAsync(scope, Items(50));
        Assert.InRange(requestsLeft.Grants.Count, 9, 10);
        var accounting = await f.Store.AccountingAsync(f.Scope);
        Assert.Equal(1 + requestsLeft.Grants.Count, accounting.RequestsGranted);
        Assert.Equal(8, accounting.TokensReserved);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task An_item_short_of_concurrency_takes_no_rate_or_tokens(string storeName)
    {
        var f = Create(storeName, o => o.Burst = TimeSpan.FromSeconds(1));
        var scope = f.Limits(rpm: 6000, tpm: 6000, concurrency: 1);

        var result = await f.Store.AcquireAsync(scope, [new PermitRequest("a", 10, 0), new PermitRequest("b", 10, 0)]);

        Assert.Single(result.Grants);
        Assert.Equal(AcquireResult.Concurrency, result.Reason);
        var accounting = await f.Store.AccountingAsync(f.Scope);
        Assert.Equal(1, accounting.RequestsGranted);
        Assert.Equal(10, accounting.TokensReserved);
        Assert.Equal(1, await f.Redis.GetDatabase().SortedSetLengthAsync(f.Keys.LimitPermits(f.Scope)));
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Slots_are_spaced_evenly_with_no_double_burst_across_calls(string storeName)
    {
        // 600 RPM with a one-request burst: a call every 100 ms, reserved a second ahead per store call.
        var f = Create(storeName, o => o.Horizon = TimeSpan.FromSeconds(1));
        var scope = f.Limits(rpm: 600);
        var slots = new List<long>();
        for (var round = 0; round < 3; round++)
        {
            var before = await f.StoreNowMs();
            var result = await f.Store.AcquireAsync(scope, Items(50));
            Assert.Equal(AcquireResult.Rate, result.Reason);
            slots.AddRange(result.Grants.Select(g => before + (long)g.Offset.TotalMilliseconds));
        }

        // A fresh scope starts with one request, not a minute's worth; then one per 100 ms, never two closer.
        Assert.True(slots.Count >= 11, $"only {slots.Count} slots");
        for (var i = 1; i < slots.Count; i++)
        {
            Assert.InRange(slots[i] - slots[i - 1], 95, 10_000);
        }
        // In any rolling second: at most the rate (10) plus the burst (1).
        for (var i = 0; i < slots.Count; i++)
        {
            Assert.True(slots.Count(s => s >= slots[i] && s < slots[i] + 1000) <= 11);
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_crashed_workers_concurrency_slot_frees_itself_when_it_expires(string storeName)
    {
        var f = Create(storeName);
        var scope = f.Limits(concurrency: 1);
        var held = await f.Store.AcquireAsync(scope, [new PermitRequest("crashed-worker-permit", 0, 0)]);
        Assert.Single(held.Grants);
        Assert.Equal(AcquireResult.Concurrency, (await f.Store.AcquireAsync(scope, Items(1))).Reason);

        // The Worker died without releasing: its permit's expiry passes (moved into the past, as time would).
        await f.Redis.GetDatabase().SortedSetAddAsync(f.Keys.LimitPermits(f.Scope), "crashed-worker-permit", 1, SortedSetWhen.Exists);

        var after = await f.Store.AcquireAsync(scope, Items(1));
        Assert.Single(after.Grants);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_provider_429_cools_the_scope_down_for_every_worker(string storeName)
    {
        var f = Create(storeName);
        var scope = f.Limits(rpm: 6000);
        var granted = await f.Store.AcquireAsync(scope, Items(1));
        await f.Store.ReleaseAsync(scope, [new PermitRelease(Guid.NewGuid().ToString(), 0, 0, 0, -1)],
            new ScopeFeedback(TimeSpan.FromSeconds(20), TimeSpan.Zero, null, null));

        var denied = await f.Store.AcquireAsync(scope, Items(3));

        Assert.Single(granted.Grants);
        Assert.Empty(denied.Grants);
        Assert.Equal(AcquireResult.Cooldown, denied.Reason);
        Assert.InRange(denied.RetryIn.TotalSeconds, 15, 20);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_quota_stop_refuses_every_permit_with_the_providers_message(string storeName)
    {
        var f = Create(storeName);
        var scope = f.Limits();
        await f.Store.ReleaseAsync(scope, [], new ScopeFeedback(TimeSpan.Zero, TimeSpan.FromMinutes(10), "You exceeded your current quota.", null));

        var denied = await f.Store.AcquireAsync(scope, Items(2));

        Assert.Empty(denied.Grants);
        Assert.Equal(AcquireResult.Quota, denied.Reason);
        Assert.Equal("You exceeded your current quota.", denied.Message);
        Assert.InRange(denied.RetryIn.TotalMinutes, 9, 10);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Release_refunds_unused_tokens_and_charges_overruns_exactly(string storeName)
    {
        // 6000 TPM: 100 tokens a second, a burst of one second = 100 tokens. No max_tokens: output estimated at 80.
        var f = Create(storeName, o => { o.Burst = TimeSpan.FromSeconds(1); o.DefaultOutputTokens = 80; });
        var scope = f.Limits(tpm: 6000);
        var first = await f.Store.AcquireAsync(scope, [new PermitRequest("p1", 20, -1)]);
        Assert.Equal(100, first.Grants.Single().Tokens);
        Assert.Empty((await f.Store.AcquireAsync(scope, [new PermitRequest("x", 60, 0)])).Grants);

        // The call used 30: the 70 unused come back at once.
        await f.Store.ReleaseAsync(scope, [new PermitRelease("p1", 100, 30, -70, 10)], ScopeFeedback.None);
        var second = await f.Store.AcquireAsync(scope, [new PermitRequest("p2", 50, 10)]);
        Assert.Equal(60, second.Grants.Single().Tokens);

        // This one used more than reserved: the difference is charged.
        await f.Store.ReleaseAsync(scope, [new PermitRelease("p2", 60, 75, 15, 15)], ScopeFeedback.None);
        var a = await f.Store.AccountingAsync(f.Scope);
        Assert.Equal(160, a.TokensReserved);
        Assert.Equal(70, a.TokensRefunded);
        Assert.Equal(15, a.TokensExtra);
        Assert.Equal(105, a.TokensActual);
        Assert.Equal(a.TokensActual, a.TokensAccounted);
        // The bucket is in debt (100 + 60 reserved + 15 charged - 70 refunded over a 100-token burst).
        Assert.Empty((await f.Store.AcquireAsync(scope, [new PermitRequest("p3", 1, 0)])).Grants);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_call_that_set_max_tokens_keeps_its_full_charge_but_accounts_its_actual_usage(string storeName)
    {
        // The provider charged prompt + max_tokens when it admitted the call: refunding the unused part would overrun it.
        var f = Create(storeName, o => o.Burst = TimeSpan.FromSeconds(1));
        var scope = f.Limits(tpm: 6000);
        Assert.Single((await f.Store.AcquireAsync(scope, [new PermitRequest("p1", 20, 80)])).Grants);

        await f.Store.ReleaseAsync(scope, [new PermitRelease("p1", 100, 30, 0, 10)], ScopeFeedback.None);

        Assert.Empty((await f.Store.AcquireAsync(scope, [new PermitRequest("p2", 60, 0)])).Grants);
        var a = await f.Store.AccountingAsync(f.Scope);
        Assert.Equal(70, a.TokensRefunded);
        Assert.Equal(30, a.TokensActual);
        Assert.Equal(a.TokensActual, a.TokensAccounted);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_call_never_sent_gives_back_its_request_slot_and_tokens(string storeName)
    {
        var f = Create(storeName);
        var scope = f.Limits(rpm: 600, tpm: 600);
        var first = await f.Store.AcquireAsync(scope, [new PermitRequest("p1", 1, 0)]);
        Assert.Single(first.Grants);
        Assert.Empty((await f.Store.AcquireAsync(scope, [new PermitRequest("x", 1, 0)])).Grants);

        await f.Store.ReleaseAsync(scope, [new PermitRelease("p1", 1, -1, 0, -1)], ScopeFeedback.None);

        Assert.Single((await f.Store.AcquireAsync(scope, [new PermitRequest("p2", 1, 0)])).Grants);
        Assert.Equal(1, (await f.Store.AccountingAsync(f.Scope)).RequestsNotAdmitted);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Unknown_limits_allow_little_concurrency_until_the_provider_announces_its_own(string storeName)
    {
        var f = Create(storeName, o => o.UnknownLimitsConcurrency = 3);
        var scope = f.Limits();
        var unknown = await f.Store.AcquireAsync(scope, Items(10));
        Assert.Equal(3, unknown.Grants.Count);
        Assert.Equal(AcquireResult.Concurrency, unknown.Reason);

        var announced = new RateLimitSnapshot(600, 1_000_000, 599, 999_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(60));
        await f.Store.ReleaseAsync(scope, [], new ScopeFeedback(TimeSpan.Zero, TimeSpan.Zero, null, announced));

        var learned = await f.Store.AcquireAsync(scope, Items(10));
        Assert.Single(learned.Grants); // 600 RPM with a one-request burst: the concurrency cap is gone, the rate rules
        Assert.Equal(AcquireResult.Rate, learned.Reason);
        Assert.Equal(600, (await f.Store.AccountingAsync(f.Scope)).LearnedRpm);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_spent_provider_window_pauses_the_scope_until_it_resets(string storeName)
    {
        var f = Create(storeName);
        var scope = f.Limits(rpm: 6000);
        var spent = new RateLimitSnapshot(100, null, 0, null, TimeSpan.FromSeconds(30), null);
        await f.Store.ReleaseAsync(scope, [], new ScopeFeedback(TimeSpan.Zero, TimeSpan.Zero, null, spent));

        var denied = await f.Store.AcquireAsync(scope, Items(1));

        Assert.Equal(AcquireResult.Cooldown, denied.Reason);
        Assert.InRange(denied.RetryIn.TotalSeconds, 25, 30);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Output_is_estimated_from_the_learned_average_when_max_tokens_is_absent(string storeName)
    {
        var f = Create(storeName, o => o.DefaultOutputTokens = 500);
        var scope = f.Limits(tpm: 1_000_000);
        Assert.Equal(510, (await f.Store.AcquireAsync(scope, [new PermitRequest("p1", 10, -1)])).Grants.Single().Tokens);

        await f.Store.ReleaseAsync(scope, [new PermitRelease("p1", 510, 50, -460, 40), new PermitRelease("p2", 0, 70, 70, 60)], ScopeFeedback.None);

        Assert.Equal(60, (await f.Store.AcquireAsync(scope, [new PermitRequest("p3", 10, -1)])).Grants.Single().Tokens);
        Assert.Equal(17, (await f.Store.AcquireAsync(scope, [new PermitRequest("p4", 10, 7)])).Grants.Single().Tokens);
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task Large_items_never_put_more_than_a_slice_of_tokens_into_any_rolling_second(string storeName)
    {
        // 60,000 TPM is 1,000 tokens in any second at the provider. A bucket alone would let 1,000/s plus one
        // 450-token item through; the slice log holds two such items per second, whatever the burst.
        var f = Create(storeName, o => { o.Burst = TimeSpan.FromSeconds(1); o.Horizon = TimeSpan.FromSeconds(5); o.Slice = TimeSpan.FromSeconds(1); });
        var scope = f.Limits(tpm: 60_000);
        var before = await f.StoreNowMs();

        var result = await f.Store.AcquireAsync(scope, Items(20, prompt: 430, maxOutput: 20));

        var sends = result.Grants.Select(g => (At: before + (long)g.Offset.TotalMilliseconds, g.Tokens)).ToList();
        Assert.True(sends.Count >= 8, $"only {sends.Count} granted over a 5 s horizon");
        foreach (var (at, _) in sends)
        {
            var inSecond = sends.Where(s => s.At > at - 1000 && s.At <= at).Sum(s => s.Tokens);
            Assert.True(inSecond <= 1000, $"{inSecond} tokens in the second ending at +{at - before} ms");
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Names), MemberType = typeof(TestStores))]
    public async Task A_job_asking_for_less_is_held_to_its_own_limit_within_the_scope(string storeName)
    {
        var f = Create(storeName, o => o.Horizon = TimeSpan.FromSeconds(1));
        var job = new PermitScope(f.Scope, new ScopeLimits(6000, 0, 0), "job_1", new ScopeLimits(600, 0, 0), Ttl);

        var jobGrants = await f.Store.AcquireAsync(job, Items(100));
        var otherGrants = await f.Store.AcquireAsync(f.Limits(rpm: 6000), Items(200));

        // The job's 600 RPM binds: one call now, the next in 100 ms, reserved only when it comes (no hole in the scope).
        Assert.Single(jobGrants.Grants);
        Assert.InRange(jobGrants.RetryIn.TotalMilliseconds, 90, 100);
        // The scope's 6000 RPM (a burst of 10, then one per 10 ms over the 1 s horizon) is left to everyone else.
        Assert.InRange(otherGrants.Grants.Count, 105, 110);
    }
}
