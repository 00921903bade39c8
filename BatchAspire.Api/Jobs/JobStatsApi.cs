using System.Security.Claims;
using System.Text.Json;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BatchAspire.Api.Jobs;

/// <summary>
/// Figures for the dashboard, computed server-side from the job's most recent results (a bounded sample,
/// so the cost of a call does not grow with the job): latency percentiles, throughput over time, status
/// codes, ETA and projected cost, and the limiter's headroom per scope when a limiter provides it.
/// </summary>
public static class JobStatsApi
{
    public const int DefaultSample = 500;
    public const int MaxSample = 5000;
    private const int MaxSeriesPoints = 30;

    public static RouteGroupBuilder MapJobStatsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization();
        group.MapGet("/{id}/stats", Stats)
            .WithSummary("Latency percentiles, throughput over time, status codes, ETA and projected cost, from the most recent results.");
        return group;
    }

    public static async Task<Results<Ok<JobStats>, NotFound<BatchErrorBody>>> Stats(
        string id, int? sample, ClaimsPrincipal user, JobStore store, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(user.Tenant(), id) is not { } job) return ApiErrors.NotFound("job", id);
        var lines = await store.ReadRecentResultsAsync(id, Math.Clamp(sample ?? DefaultSample, 1, MaxSample));
        IReadOnlyList<ScopeHeadroom>? headroom = services.GetService<IRateLimitHeadroom>() is { } limiter
            ? await limiter.ForJobAsync(id, cancellationToken)
            : null;
        return TypedResults.Ok(Compute(job, lines, headroom));
    }

    /// <summary>The stats of a job from a sample of its result lines (newest first).</summary>
    public static JobStats Compute(Job job, IReadOnlyList<byte[]> lines, IReadOnlyList<ScopeHeadroom>? headroom)
    {
        var latencies = new List<long>();
        var finishedAt = new List<long>(lines.Count);
        var statusCodes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long attempts = 0, retriedItems = 0;
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            if (!doc.RootElement.TryGetProperty("attempts", out var list) || list.ValueKind != JsonValueKind.Array) continue;
            var count = 0;
            long end = 0;
            foreach (var a in list.EnumerateArray())
            {
                var outcome = a.TryGetProperty("outcome", out var o) ? o.GetString() : null;
                if (outcome == "released") continue;
                count++;
                var ms = a.GetProperty("latency_ms").GetInt64();
                latencies.Add(ms);
                end = Math.Max(end, a.GetProperty("started_at").GetInt64() + ms);
                var code = a.TryGetProperty("status_code", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
                statusCodes[code] = statusCodes.GetValueOrDefault(code) + 1;
            }
            attempts += count;
            if (count > 1) retriedItems++;
            if (end > 0) finishedAt.Add(end);
        }

        latencies.Sort();
        var latency = latencies.Count == 0 ? null : new LatencyPercentiles(
            Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99), latencies[^1], latencies.Count);

        var throughput = Throughput(finishedAt);
        var finished = job.Counts.Completed + job.Counts.Failed;
        var remaining = Math.Max(0, job.Counts.Total - finished);
        double? eta = JobStatus.IsTerminal(job.Status) ? 0
            : throughput.ItemsPerSecond > 0 ? Math.Round(remaining / throughput.ItemsPerSecond, 1) : null;
        decimal? projected = finished > 0 ? decimal.Round(job.CostUsd / finished * job.Counts.Total, 9) : null;

        return new JobStats(job.Id, lines.Count, latency, throughput, new AttemptStats(attempts, retriedItems, statusCodes),
            eta, job.CostUsd, projected, headroom);
    }

    private static long Percentile(List<long> sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Items finished per second over the sample's time span, and per bucket of that span (at most 30 points).</summary>
    private static ThroughputStats Throughput(List<long> finishedAtMs)
    {
        if (finishedAtMs.Count == 0) return new ThroughputStats(0, 0, 0, []);
        finishedAtMs.Sort();
        var first = finishedAtMs[0];
        var last = finishedAtMs[^1];
        var spanMs = Math.Max(100, last - first);
        var bucketMs = Math.Max(100, (long)Math.Ceiling(spanMs / (double)MaxSeriesPoints / 100) * 100);
        var buckets = (int)(spanMs / bucketMs) + 1;
        var counts = new long[buckets];
        foreach (var t in finishedAtMs) counts[Math.Min(buckets - 1, (int)((t - first) / bucketMs))]++;
        var series = counts.Select((n, i) => new ThroughputPoint(first + i * bucketMs, Math.Round(n * 1000.0 / bucketMs, 2))).ToList();
        var perSecond = finishedAtMs.Count < 2 ? 0 : Math.Round((finishedAtMs.Count - 1) * 1000.0 / Math.Max(1, last - first), 2);
        return new ThroughputStats(perSecond, Math.Round(spanMs / 1000.0, 1), bucketMs / 1000.0, series);
    }
}

/// <summary>The body of <c>GET /api/jobs/{id}/stats</c>.</summary>
public sealed record JobStats(
    string JobId,
    int Sampled,
    LatencyPercentiles? LatencyMs,
    ThroughputStats Throughput,
    AttemptStats Attempts,
    double? EtaSeconds,
    decimal CostUsd,
    decimal? ProjectedCostUsd,
    IReadOnlyList<ScopeHeadroom>? RateLimitHeadroom)
{
    public string Object => "job.stats";
}

/// <summary>Provider-call latency over the sampled attempts, in ms.</summary>
public sealed record LatencyPercentiles(long P50, long P95, long P99, long Max, int Count);

/// <summary>Items finished per second: overall across the sample's span, and a series of buckets (t = bucket start, unix ms).</summary>
public sealed record ThroughputStats(double ItemsPerSecond, double WindowSeconds, double BucketSeconds, IReadOnlyList<ThroughputPoint> Series);

public sealed record ThroughputPoint(long T, double ItemsPerSecond);

/// <summary>Attempts in the sample, items that needed more than one, and attempts by HTTP status ("none" = no answer).</summary>
public sealed record AttemptStats(long Total, long RetriedItems, IReadOnlyDictionary<string, long> ByStatusCode);
