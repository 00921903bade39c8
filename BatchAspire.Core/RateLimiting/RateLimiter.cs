using System.Collections.Concurrent;
using System.Threading.Channels;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Retries;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Core.RateLimiting;

/// <summary>
/// This process's side of the distributed limiter: permits come from the store (acquire_permit.lua) through one
/// <see cref="PermitGate"/> per scope, and are released in batches (release_permit.lua) with what the provider
/// reported, so the limiter costs well under one store round trip per call.
/// </summary>
public sealed class RateLimiter : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PermitScope, PermitGate> _gates = new();
    private readonly Channel<(Permit Permit, PermitRelease Release, ScopeFeedback Feedback)> _releases =
        Channel.CreateUnbounded<(Permit, PermitRelease, ScopeFeedback)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IOptions<RetryOptions> _retries;
    private readonly string _idPrefix = Guid.NewGuid().ToString("N")[..10];
    private readonly Queue<(DateTimeOffset At, int Count)> _recentGrants = new();
    private readonly Lock _lock = new();
    private readonly Task _releaseLoop;
    private TaskCompletionSource _flushNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private int _waiting;
    private int _recentGrantCount;

    public RateLimiter(RateLimitStore store, IOptions<RateLimitOptions> options, IOptions<RetryOptions> retries, TimeProvider time, ILogger<RateLimiter> logger)
    {
        Store = store;
        Options = options.Value;
        _retries = retries;
        Time = time;
        Logger = logger;
        _releaseLoop = Task.Run(ReleaseLoopAsync);
    }

    internal RateLimitStore Store { get; }
    internal RateLimitOptions Options { get; }
    internal TimeProvider Time { get; }
    internal ILogger Logger { get; }
    internal StoreClock Clock { get; } = new();

    private Task? _calibration;

    /// <summary>
    /// Once per process, before the first slot is mapped: a few quick TIME round trips pin the store's clock, so a
    /// slow first answer (JIT, script load) cannot skew where every later slot lands on this process's clock.
    /// </summary>
    internal Task CalibrateAsync()
    {
        lock (_lock) return _calibration ??= Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                try
                {
                    var asked = Time.GetUtcNow();
                    var storeNow = await Store.StoreTimeAsync();
                    Clock.Sample(storeNow, asked, Time.GetUtcNow());
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or NotSupportedException)
                {
                    Logger.LogDebug(ex, "Store clock calibration failed; slots map through acquire round trips only");
                    return;
                }
            }
        });
    }

    /// <summary>Calls in this process between asking for a permit and being sent.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>How many calls this process keeps waiting for permits: enough for <see cref="RateLimitOptions.Backlog"/> of its recent grants.</summary>
    public int BacklogTarget
    {
        get
        {
            lock (_lock)
            {
                Prune(Time.GetUtcNow());
                return Math.Max(Options.MinBacklog, _recentGrantCount);
            }
        }
    }

    /// <summary>
    /// Waits until fewer calls wait for permits than <see cref="BacklogTarget"/>; returns how many more may be leased
    /// (unbounded while no limited scope is busy in this process, so unlimited work leases full batches).
    /// </summary>
    public async Task<int> WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            bool idle;
            lock (_lock)
            {
                signal = _room.Task;
                Prune(Time.GetUtcNow());
                idle = _recentGrantCount == 0;
            }
            if (idle && Waiting == 0) return int.MaxValue;
            var room = BacklogTarget - Waiting;
            if (room > 0) return room;
            await signal.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Returns when the call may be sent: a permit was granted and its reserved slot has come (and no 429 cooldown
    /// holds the scope). Throws <see cref="PermitDeniedException"/> on a quota stop or a wait too long to hold a lease.
    /// </summary>
    public async Task<Permit> AcquireAsync(PermitScope scope, TokenEstimate estimate, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            var gate = _gates.GetOrAdd(scope, s => new PermitGate(s, this));
            while (true)
            {
                var id = $"{_idPrefix}:{Interlocked.Increment(ref _nextId)}";
                var permit = await gate.EnqueueAsync(new PermitRequest(id, estimate.PromptTokens, estimate.MaxOutputTokens), cancellationToken);
                try
                {
                    if (await WaitForSlotAsync(gate, permit, cancellationToken)) return permit;
                }
                catch
                {
                    Release(permit, null);
                    throw;
                }
                // Too late for its slot: give it back unused and take a fresh one.
                Release(permit, null);
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _waiting) < BacklogTarget) SignalRoom();
        }
    }

    /// <summary>Waits for the permit's slot (and any cooldown); false when it is now too late to use it.</summary>
    private async Task<bool> WaitForSlotAsync(PermitGate gate, Permit permit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = Time.GetUtcNow();
            if (gate.StoppedUntil > now) throw new PermitDeniedException(AcquireResult.Quota, gate.StoppedUntil - now, gate.StopMessage);
            var until = permit.SendAt > gate.CooldownUntil ? permit.SendAt : gate.CooldownUntil;
            if (until <= now) return now - permit.SendAt <= Options.MaxLateness;
            await Task.Delay(until - now, Time, cancellationToken);
        }
    }

    /// <summary>
    /// Gives a permit back with what came of its call (null: never sent). The reservation is reconciled with the
    /// reported usage, a 429 cools the scope down for every Worker, a quota error stops it.
    /// </summary>
    public void Release(Permit permit, ProviderResponse? response)
    {
        if (!permit.MarkReleased()) return;
        // A call refused by the provider (or never sent) was not counted by its window: everything comes back.
        var admitted = response is not null && response.Outcome is not (ProviderOutcome.RateLimited or ProviderOutcome.QuotaExhausted);
        var actual = !admitted ? -1 : response!.Usage?.TotalTokens ?? 0;
        // The provider charged prompt + max tokens on admission; only an estimated output differs from that charge.
        var bucketDelta = admitted && permit.OutputEstimated && response!.Usage is { } used ? used.TotalTokens - permit.ReservedTokens : 0;
        var output = response is { Outcome: ProviderOutcome.Success, Usage: { } usage } ? usage.OutputTokens : -1;
        var feedback = response?.Outcome switch
        {
            ProviderOutcome.RateLimited => new ScopeFeedback(CooldownFor(response.RetryAfter), TimeSpan.Zero, null, response.Limits),
            ProviderOutcome.QuotaExhausted => new ScopeFeedback(TimeSpan.Zero, Options.QuotaStop, response.Error?.Message ?? "insufficient_quota", response.Limits),
            _ => response?.Limits is { } snapshot ? new ScopeFeedback(TimeSpan.Zero, TimeSpan.Zero, null, snapshot) : ScopeFeedback.None,
        };
        var gate = _gates.GetValueOrDefault(permit.Scope);
        if (response is not null) gate?.MarkWarm();
        if (feedback.IsUrgent) gate?.Apply(feedback);
        _releases.Writer.TryWrite((permit, new PermitRelease(permit.Id, permit.ReservedTokens, actual, bucketDelta, output), feedback));
        if (feedback.IsUrgent || gate is { BlockedOnConcurrency: true }) FlushNow();
    }

    /// <summary>A 429's retry-after, capped by <c>BatchAspire:Retries:MaxRateLimitWait</c> (1 s when the provider gave none).</summary>
    public TimeSpan CooldownFor(TimeSpan? retryAfter)
    {
        var max = _retries.Value.MaxRateLimitWait;
        var wait = retryAfter is { } r && r > TimeSpan.Zero ? r : TimeSpan.FromSeconds(1);
        return wait < max ? wait : max;
    }

    internal void RecordGrants(int count)
    {
        if (count == 0) return;
        lock (_lock)
        {
            _recentGrants.Enqueue((Time.GetUtcNow(), count));
            _recentGrantCount += count;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        while (_recentGrants.TryPeek(out var oldest) && now - oldest.At > Options.Backlog)
        {
            _recentGrantCount -= _recentGrants.Dequeue().Count;
        }
    }

    private void SignalRoom()
    {
        TaskCompletionSource room;
        lock (_lock)
        {
            room = _room;
            _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        room.TrySetResult();
    }

    private void FlushNow()
    {
        lock (_lock) _flushNow.TrySetResult();
    }

    private async Task ReleaseLoopAsync()
    {
        var reader = _releases.Reader;
        var batch = new List<(Permit Permit, PermitRelease Release, ScopeFeedback Feedback)>();
        while (await reader.WaitToReadAsync())
        {
            Task flush;
            lock (_lock) flush = _flushNow.Task;
            // Gather a little, so one store call records many releases; a 429, quota stop or concurrency wait does not wait.
            if (!flush.IsCompleted && Options.ReleaseLinger > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.Delay(Options.ReleaseLinger, Time), flush);
            }
            lock (_lock)
            {
                if (_flushNow.Task.IsCompleted) _flushNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            while (reader.TryRead(out var next)) batch.Add(next);
            await Task.WhenAll(batch.GroupBy(b => b.Permit.Scope).Select(WriteAsync));
            batch.Clear();
        }
    }

    private async Task WriteAsync(IGrouping<PermitScope, (Permit Permit, PermitRelease Release, ScopeFeedback Feedback)> group)
    {
        var feedback = group.Select(g => g.Feedback).Aggregate(ScopeFeedback.None, (a, b) => new ScopeFeedback(
            a.Cooldown > b.Cooldown ? a.Cooldown : b.Cooldown,
            a.QuotaStop > b.QuotaStop ? a.QuotaStop : b.QuotaStop,
            b.QuotaMessage ?? a.QuotaMessage,
            b.Snapshot ?? a.Snapshot));
        PermitRelease[] releases = [.. group.Select(g => g.Release)];
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Store.ReleaseAsync(group.Key, releases, feedback);
                break;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Unreleased slots would expire on their own, but the token reconciliation would be lost: keep trying.
                Logger.LogWarning(ex, "Releasing {Count} permits of {Scope} failed (attempt {Attempt}); retrying", releases.Length, group.Key.Scope, attempt);
                if (attempt >= 20) return;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * attempt)), Time);
            }
        }
        if (_gates.TryGetValue(group.Key, out var gate)) gate.Wake();
    }

    public async ValueTask DisposeAsync()
    {
        _releases.Writer.TryComplete();
        FlushNow();
        await _releaseLoop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
