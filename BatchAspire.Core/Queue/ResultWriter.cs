using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace BatchAspire.Core.Queue;

/// <summary>
/// Records outcomes in batches: whatever finished while the last write was in flight goes in the next,
/// grouped per job into one script call each. This is what keeps store round trips far below one per item.
/// Nothing is dropped: a failed write is retried until the store answers.
/// </summary>
public sealed class ResultWriter(WorkQueue queue, ILogger<ResultWriter> logger)
{
    private const int MaxBatch = 512;
    private readonly Channel<object> _pending = Channel.CreateBounded<object>(new BoundedChannelOptions(50_000) { SingleReader = true });

    public ValueTask EnqueueAsync(object outcome, CancellationToken cancellationToken = default) =>
        _pending.Writer.WriteAsync(outcome, cancellationToken);

    /// <summary>Writes until <see cref="Complete"/> is called and everything queued is recorded.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<object>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var next)) batch.Add(next);
            await WriteWithRetryAsync(batch, cancellationToken);
            batch.Clear();
        }
    }

    public void Complete() => _pending.Writer.TryComplete();

    private async Task WriteWithRetryAsync(List<object> batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Keep the results: the leases will not expire while we hold them for long, and if this process
                // dies the reaper hands the items to another Worker, whose results are then recorded once.
                logger.LogWarning(ex, "Recording {Count} outcomes failed (attempt {Attempt}); retrying", batch.Count, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * attempt)), CancellationToken.None);
            }
        }
    }

    private Task WriteAsync(List<object> batch)
    {
        var writes = new List<Task>();
        foreach (var job in batch.OfType<ItemCompletion>().GroupBy(c => c.JobId))
        {
            writes.Add(queue.CompleteAsync(job.Key, [.. job]));
        }
        foreach (var job in batch.OfType<ItemReschedule>().GroupBy(r => r.JobId))
        {
            writes.Add(queue.RescheduleAsync(job.Key, [.. job]));
        }
        return Task.WhenAll(writes);
    }
}
