using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BatchAspire.Core.Telemetry;

/// <summary>BatchAspire's ActivitySource and Meter, and the instruments every process shares.</summary>
public static class BatchTelemetry
{
    public const string SourceName = "BatchAspire";

    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    public static readonly Counter<long> ItemsFinished = Meter.CreateCounter<long>("batch.items.finished", "{item}", "Items with a final result, by outcome.");
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("batch.items.retries", "{retry}", "Attempts rescheduled after a transient failure.");
    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("batch.provider.rate_limited", "{response}", "Provider 429 rate-limit answers.");
    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "gen_ai.client.operation.duration", "s", "GenAI operation duration.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });
    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Tokens used per GenAI operation.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] });
}
