using System.Collections.Concurrent;

namespace BatchAspire.Core.Queue;

/// <summary>
/// The items this Worker holds, bounded by its concurrency. The only per-item state a Worker keeps, so its
/// memory follows its concurrency, never the size of a job.
/// </summary>
public sealed class InFlightItems(int capacity)
{
    private readonly SemaphoreSlim _slots = new(capacity, capacity);

    // Keyed by the leased copy itself, not by (job, index): when a lease runs out under a slow call and the same
    // item is leased again here, both copies are in flight and each must give back its own slot exactly once.
    private readonly ConcurrentDictionary<LeasedItem, byte> _items = new(ReferenceEqualityComparer.Instance);

    public int Capacity { get; } = capacity;
    public int Count => _items.Count;

    /// <summary>Waits for at least one free slot, then takes up to <paramref name="max"/>; returns how many were taken.</summary>
    public async Task<int> AcquireAsync(int max, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        var taken = 1;
        while (taken < max && _slots.Wait(0)) taken++;
        return taken;
    }

    public void ReleaseUnused(int count)
    {
        if (count > 0) _slots.Release(count);
    }

    public void Add(LeasedItem item) => _items[item] = 0;

    public void Remove(LeasedItem item)
    {
        if (_items.TryRemove(item, out _)) _slots.Release();
    }

    public IEnumerable<LeasedItem> Snapshot() => _items.Keys;
}
