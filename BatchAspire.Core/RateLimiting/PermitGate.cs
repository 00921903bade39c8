using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace BatchAspire.Core.RateLimiting;

/// <summary>
/// One scope's queue of calls waiting for permits in this process. A single loop asks the store for the whole
/// queue at once (one round trip per batch), hands out the slots it got, and sleeps for the store's "retry in"
/// before asking again: waiting costs timers, not store calls. A wait too long to hold leases through hands
/// the waiting items back instead.
/// </summary>
internal sealed class PermitGate(PermitScope scope, RateLimiter owner)
{
    private readonly LinkedList<Waiter> _queue = new();
    private readonly Lock _lock = new();
    private bool _running;
    private TaskCompletionSource? _wake;

    public PermitScope Scope { get; } = scope;
    public DateTimeOffset CooldownUntil { get; private set; }
    public DateTimeOffset StoppedUntil { get; private set; }
    public string? StopMessage { get; private set; }
    public bool BlockedOnConcurrency { get; private set; }

    /// <summary>A call of this process to this scope has completed, so the next ones leave on time.</summary>
    public bool Warm => _warm.Task.IsCompleted;

    private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _coldCallOut;

    public void MarkWarm() => _warm.TrySetResult();

    public int Waiting
    {
        get { lock (_lock) return _queue.Count; }
    }

    public Task<Permit> EnqueueAsync(PermitRequest request, CancellationToken cancellationToken)
    {
        var now = owner.Time.GetUtcNow();
        if (StoppedUntil > now) return Task.FromException<Permit>(new PermitDeniedException(AcquireResult.Quota, StoppedUntil - now, StopMessage));

        var waiter = new Waiter(request, now);
        bool start;
        LinkedListNode<Waiter> node;
        lock (_lock)
        {
            node = _queue.AddLast(waiter);
            start = !_running;
            _running = true;
        }
        if (start) _ = Task.Run(RunAsync, CancellationToken.None);
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(() =>
            {
                lock (_lock)
                {
                    if (node.List is not null) _queue.Remove(node);
                }
                waiter.Completion.TrySetCanceled(cancellationToken);
            });
        }
        return waiter.Completion.Task;
    }

    /// <summary>What the provider just said about the scope, applied here at once (the store learns it on the next flush).</summary>
    public void Apply(ScopeFeedback feedback)
    {
        var now = owner.Time.GetUtcNow();
        if (feedback.Cooldown > TimeSpan.Zero && now + feedback.Cooldown > CooldownUntil) CooldownUntil = now + feedback.Cooldown;
        if (feedback.QuotaStop > TimeSpan.Zero)
        {
            StopMessage = feedback.QuotaMessage;
            StoppedUntil = now + feedback.QuotaStop;
            FailAll(new PermitDeniedException(AcquireResult.Quota, feedback.QuotaStop, StopMessage));
        }
    }

    /// <summary>Ask the store again now (a release here freed concurrency).</summary>
    public void Wake()
    {
        TaskCompletionSource? wake;
        lock (_lock) wake = _wake;
        wake?.TrySetResult();
    }

    private async Task RunAsync()
    {
        var options = owner.Options;
        while (true)
        {
            List<LinkedListNode<Waiter>> batch = [];
            if (_coldCallOut && !Warm)
            {
                // This process's first call is still out: the rest wait until it answers (or a while at most).
                await Task.WhenAny(_warm.Task, Task.Delay(options.ColdStart + options.ColdStart, owner.Time));
                MarkWarm();
            }
            var cold = !Warm;
            lock (_lock)
            {
                for (var n = _queue.First; n is not null && batch.Count < (cold ? 1 : options.MaxBatch); n = n.Next) batch.Add(n);
                if (batch.Count == 0)
                {
                    _running = false;
                    return;
                }
            }

            var cooldown = CooldownUntil - owner.Time.GetUtcNow();
            if (cooldown > TimeSpan.Zero)
            {
                if (!await WaitOrHandBackAsync(cooldown, AcquireResult.Cooldown)) continue;
            }

            await owner.CalibrateAsync();
            AcquireResult result;
            var asked = owner.Time.GetUtcNow();
            try
            {
                result = await owner.Store.AcquireAsync(Scope,
                    [.. batch.Select(n => cold ? n.Value.Request with { LatenessAllowanceMs = (long)options.ColdStart.TotalMilliseconds } : n.Value.Request)]);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                owner.Logger.LogWarning(ex, "Acquiring permits for {Scope} failed; retrying", Scope.Scope);
                await Task.Delay(TimeSpan.FromMilliseconds(250), owner.Time);
                continue;
            }

            var answered = owner.Time.GetUtcNow();
            // Slots are on the store's clock: map them onto ours, so a slow answer does not make every slot late.
            var storeNow = owner.Clock.ToLocal(result.StoreNow, asked, answered);
            for (var i = 0; i < result.Grants.Count; i++)
            {
                var node = batch[i];
                var grant = result.Grants[i];
                lock (_lock)
                {
                    if (node.List is not null) _queue.Remove(node);
                }
                var permit = new Permit(Scope, node.Value.Request.PermitId, grant.Tokens, node.Value.Request.MaxOutputTokens < 0, storeNow + grant.Offset, node.Value.RequestedAt);
                node.Value.Registration.Dispose();
                // Cancelled while the store granted it: give the slot back unused.
                if (!node.Value.Completion.TrySetResult(permit)) owner.Release(permit, null);
            }
            owner.RecordGrants(result.Grants.Count);
            if (cold && result.Grants.Count > 0) _coldCallOut = true;
            BlockedOnConcurrency = result.Reason == AcquireResult.Concurrency;
            if (result.Grants.Count == batch.Count) continue;

            switch (result.Reason)
            {
                case AcquireResult.Quota:
                    StopMessage = result.Message;
                    StoppedUntil = answered + result.RetryIn;
                    FailAll(new PermitDeniedException(AcquireResult.Quota, result.RetryIn, result.Message));
                    break;
                case AcquireResult.Cooldown:
                    if (answered + result.RetryIn > CooldownUntil) CooldownUntil = answered + result.RetryIn;
                    break;
                case AcquireResult.Rate:
                    // The store said when the next slot enters the horizon; asking a little later (while slots
                    // already held keep this process busy) takes several at once instead of one per call.
                    await WaitOrHandBackAsync(result.RetryIn + options.Horizon * 2 / 3, result.Reason);
                    break;
                default:
                    await WaitOrHandBackAsync(result.RetryIn, result.Reason);
                    break;
            }
        }
    }

    /// <summary>Sleeps <paramref name="wait"/> (a local release may end it early), or hands every waiter back when it is too long.</summary>
    private async Task<bool> WaitOrHandBackAsync(TimeSpan wait, string reason)
    {
        if (wait > owner.Options.MaxInProcessWait)
        {
            FailAll(new PermitDeniedException(reason, wait, null));
            return false;
        }
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _wake = wake;
        await Task.WhenAny(Task.Delay(wait, owner.Time), wake.Task);
        lock (_lock) _wake = null;
        return true;
    }

    private void FailAll(Exception error)
    {
        List<Waiter> failed;
        lock (_lock)
        {
            failed = [.. _queue];
            _queue.Clear();
        }
        foreach (var w in failed)
        {
            w.Registration.Dispose();
            w.Completion.TrySetException(error);
        }
    }

    private sealed class Waiter(PermitRequest request, DateTimeOffset requestedAt)
    {
        public PermitRequest Request { get; } = request;
        public DateTimeOffset RequestedAt { get; } = requestedAt;
        public TaskCompletionSource<Permit> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration { get; set; }
    }
}
