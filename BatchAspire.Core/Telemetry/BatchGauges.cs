using System.Diagnostics.Metrics;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Core.Telemetry;

/// <summary>
/// Observable gauges: <c>batch.queue.depth</c> (per active job, pending + retrying items, read from the store
/// at most every <see cref="TelemetryOptions.QueueDepthRefresh"/>) and, in a Worker, <c>batch.items.in_flight</c>.
/// Callbacks run only when an exporter collects, so a process without metrics export never reads the store.
/// A hosted service only so it is created at start; it has no loop. The meter belongs to the host's IMeterFactory.
/// </summary>
public sealed class BatchGauges : IHostedService
{
    private const int MaxJobs = 200;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private readonly Meter _meter;
    private readonly WorkQueue _queue;
    private readonly JobStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refresh;
    private readonly ILogger<BatchGauges> _logger;
    private readonly Lock _gate = new();
    private Measurement<long>[] _depth = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public BatchGauges(IMeterFactory meters, WorkQueue queue, JobStore store, TimeProvider time, IOptions<TelemetryOptions> options,
        IServiceProvider services, ILogger<BatchGauges> logger)
    {
        _queue = queue;
        _store = store;
        _time = time;
        _refresh = options.Value.QueueDepthRefresh;
        _logger = logger;
        _meter = meters.Create(BatchTelemetry.SourceName);
        _meter.CreateObservableGauge(BatchTelemetry.QueueDepthName, ReadQueueDepth, "{item}", "Items of an active job waiting to be dispatched (pending + retrying).");
        if (services.GetService<InFlightItems>() is { } inFlight)
        {
            _meter.CreateObservableGauge(BatchTelemetry.InFlightName, () => inFlight.Count, "{item}", "Provider calls this Worker has in flight.");
        }
    }

    private IEnumerable<Measurement<long>> ReadQueueDepth()
    {
        lock (_gate)
        {
            if (_time.GetUtcNow() - _readAt < _refresh) return _depth;
            _readAt = _time.GetUtcNow();
            try
            {
                // Collection runs on the exporter's thread, off every hot path: a bounded blocking read is acceptable there.
                var read = ReadAsync();
                if (read.Wait(ReadTimeout)) _depth = read.Result;
            }
            catch (AggregateException ex) when (ex.InnerException is RedisException or TimeoutException)
            {
                _logger.LogDebug(ex.InnerException, "Reading queue depth failed; reporting the last reading");
            }
            return _depth;
        }
    }

    private async Task<Measurement<long>[]> ReadAsync()
    {
        var ids = (await _queue.ActiveJobIdsAsync()).Distinct().Take(MaxJobs).ToList();
        var jobs = await Task.WhenAll(ids.Select(_store.GetAnyAsync));
        return [.. jobs.OfType<Job>().Select(j => new Measurement<long>(j.Counts.Pending + j.Counts.Retrying, new KeyValuePair<string, object?>("batch.job.id", j.Id)))];
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
