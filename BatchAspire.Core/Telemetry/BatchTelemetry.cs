using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BatchAspire.Core.Telemetry;

/// <summary>
/// BatchAspire's ActivitySource and Meter, and the instruments every process shares. Counters carry
/// <c>batch.job.id</c>: a deployment runs tens to thousands of jobs, not millions, so the series stay
/// bounded; histograms do not carry it (one bucket set per job would be the expensive part).
/// </summary>
public static class BatchTelemetry
{
    public const string SourceName = "BatchAspire";

    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    /// <summary>The GenAI semantic conventions' advised buckets for <c>gen_ai.client.operation.duration</c> (s).</summary>
    public static readonly double[] OperationDurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>The GenAI semantic conventions' advised buckets for <c>gen_ai.client.token.usage</c>.</summary>
    public static readonly long[] TokenUsageBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Rate-limit waits: from a few ms (a free permit) to minutes (a provider cooldown).</summary>
    public static readonly double[] WaitBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    public static readonly Counter<long> ItemsFinished = Meter.CreateCounter<long>("batch.items.finished", "{item}", "Items with a final result, by outcome (succeeded, failed).");
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("batch.items.retries", "{retry}", "Attempts rescheduled after a transient failure.");
    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("batch.provider.rate_limited", "{response}", "Provider 429 rate-limit answers.");
    public static readonly Counter<double> Cost = Meter.CreateCounter<double>("batch.cost", "USD", "Cost of finished items, in US dollars.");
    public static readonly Histogram<double> RateLimitWait = Meter.CreateHistogram(
        "batch.rate_limit.wait.duration", "s", "Time an item waited between its lease and its provider call (rate-limit permit).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WaitBuckets });
    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "gen_ai.client.operation.duration", "s", "GenAI operation duration.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OperationDurationBuckets });
    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Measures number of input and output tokens used.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenUsageBuckets });

    /// <summary>Names of the observable gauges (<see cref="BatchGauges"/>).</summary>
    public const string QueueDepthName = "batch.queue.depth";
    public const string InFlightName = "batch.items.in_flight";
}
