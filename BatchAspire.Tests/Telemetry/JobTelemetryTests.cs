using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Telemetry;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace BatchAspire.Tests.Telemetry;

/// <summary>A real job run (Core + Worker on the test Garnet; simulator items and one item on a loopback OpenAI-compatible server), observed through OpenTelemetry's exporters.</summary>
public sealed class JobTelemetryTests
{
    private const string SubmitSourceName = "BatchAspire.Tests.Submit";
    private const string Prompt = "tell nobody this prompt";
    private static readonly ActivitySource SubmitSource = new(SubmitSourceName);

    // The GenAI semantic conventions' advised ExplicitBucketBoundaries, written out here independently of BatchTelemetry.
    private static readonly double[] SemconvDurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] SemconvTokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    [Fact]
    public async Task Item_attempts_are_GenAI_spans_linked_to_the_submit_trace_with_the_HTTP_call_and_logs_inside()
    {
        var (provider, providerUrl) = await LoopbackServers.StartChatCompletionsAsync();
        await using var _ = provider;
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();
        var settings = Settings(providerUrl);

        // The "Api" side: submission inside a request-like activity, and the queue-depth gauge before any Worker runs.
        var apiSpans = new List<Activity>();
        var apiMetrics = new List<MetricSnapshot>();
        using var api = TestHost.Build(store, prefix, worker: false, settings, services => services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(SubmitSourceName).AddInMemoryExporter(apiSpans))
            .WithMetrics(m => m.AddInMemoryExporter(apiMetrics)));
        await api.StartAsync(TestContext.Current.CancellationToken);
        string jobId;
        ActivityContext submit;
        using (var request = SubmitSource.StartActivity("POST /api/jobs", ActivityKind.Server))
        {
            Assert.NotNull(request);
            submit = request.Context;
            var (job, error) = await api.Services.GetRequiredService<JobSubmission>().SubmitAsync("default", Request());
            Assert.Null(error);
            jobId = job!.Id;
        }
        api.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var depth = Assert.Single(Points(apiMetrics, BatchTelemetry.QueueDepthName), p => Tag(p, "batch.job.id") == jobId);
        Assert.Equal(6, depth.GetGaugeLastValueLong());

        // The Worker side.
        var spans = new ConcurrentQueue<Activity>();
        var metrics = new List<MetricSnapshot>();
        var logs = new List<LogRecord>();
        using var worker = TestHost.Build(store, prefix, worker: true, settings, services =>
        {
            services.AddOpenTelemetry()
                .WithTracing(t => t.AddHttpClientInstrumentation().AddProcessor(new SimpleActivityExportProcessor(new QueueExporter(spans))))
                .WithMetrics(m => m.AddInMemoryExporter(metrics));
            services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddOpenTelemetry(o => o.AddInMemoryExporter(logs)));
        });
        await worker.StartAsync(TestContext.Current.CancellationToken);
        await WaitForAsync(api, jobId, JobStatus.Completed);
        worker.Services.GetRequiredService<MeterProvider>().ForceFlush();
        await worker.StopAsync(CancellationToken.None);

        var attempts = spans.Where(s => s.Source.Name == BatchTelemetry.SourceName && (string?)s.GetTagItem("batch.job.id") == jobId).ToList();
        Assert.Equal(6, attempts.Count);
        Assert.All(attempts, s => Assert.Contains(s.Links, l => l.Context.TraceId == submit.TraceId && l.Context.SpanId == submit.SpanId));
        Assert.Equal(5, attempts.Count(s => s.DisplayName == "chat sim-1"));

        var loop = Assert.Single(attempts, s => s.DisplayName == "chat loop-1");
        Assert.Equal(ActivityKind.Client, loop.Kind);
        Assert.Equal("chat", loop.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("loop", loop.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("loop-1", loop.GetTagItem("gen_ai.request.model"));
        Assert.Equal(LoopbackServers.ResponseModel, loop.GetTagItem("gen_ai.response.model"));
        Assert.Equal(LoopbackServers.ResponseId, loop.GetTagItem("gen_ai.response.id"));
        Assert.Equal(11L, loop.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(7L, loop.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal("q-loop", loop.GetTagItem("batch.item.custom_id"));
        Assert.Equal(1, loop.GetTagItem("batch.item.attempt"));
        Assert.IsType<long>(loop.GetTagItem("batch.rate_limit.wait_ms"));
        Assert.IsType<double>(loop.GetTagItem("batch.cost.usd"));
        Assert.Null(loop.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, loop.Status);

        // The HTTP client span of the provider call is a child of the attempt span.
        var http = Assert.Single(spans, s => s.ParentSpanId == loop.SpanId);
        Assert.Equal(loop.TraceId, http.TraceId);
        Assert.Equal(ActivityKind.Client, http.Kind);
        Assert.EndsWith("/v1/chat/completions", (string?)http.GetTagItem("url.full"));

        // No prompt or completion text by default (BatchAspire:Telemetry:CaptureContent=false).
        Assert.All(attempts, s => Assert.DoesNotContain(s.TagObjects, t => t.Value?.ToString()?.Contains(Prompt) == true || t.Key.StartsWith("gen_ai.input", StringComparison.Ordinal)));

        // The Worker's per-attempt log carries the attempt span's trace and span ids.
        Assert.Contains(logs, l => l.TraceId == loop.TraceId && l.SpanId == loop.SpanId);

        // Instruments: names, units, semantic-convention buckets, and job/provider tags.
        var duration = Metric(metrics, "gen_ai.client.operation.duration");
        Assert.Equal("s", duration.Unit);
        var loopDuration = Assert.Single(duration.MetricPoints, p => Tag(p, "gen_ai.provider.name") == "loop");
        Assert.Equal("chat", Tag(loopDuration, "gen_ai.operation.name"));
        Assert.Equal(SemconvDurationBuckets, Bounds(loopDuration));
        var tokens = Metric(metrics, "gen_ai.client.token.usage");
        Assert.Equal("{token}", tokens.Unit);
        var inputTokens = Assert.Single(tokens.MetricPoints, p => Tag(p, "gen_ai.provider.name") == "loop" && Tag(p, "gen_ai.token.type") == "input");
        Assert.Equal(SemconvTokenBuckets, Bounds(inputTokens));
        Assert.True(inputTokens.GetHistogramSum() >= 11);
        Assert.Equal(6, Points(metrics, "batch.items.finished").Where(p => Tag(p, "batch.job.id") == jobId && Tag(p, "outcome") == "succeeded").Sum(p => p.GetSumLong()));
        Assert.Equal("USD", Metric(metrics, "batch.cost").Unit);
        Assert.Contains(Points(metrics, "batch.cost"), p => Tag(p, "batch.job.id") == jobId && Tag(p, "gen_ai.provider.name") == "loop");
        Assert.Equal("s", Metric(metrics, "batch.rate_limit.wait.duration").Unit);
        Assert.Equal("{item}", Metric(metrics, BatchTelemetry.InFlightName).Unit);
    }

    [Fact]
    public async Task Content_capture_puts_prompt_and_completion_on_spans_only_when_configured()
    {
        var (provider, providerUrl) = await LoopbackServers.StartChatCompletionsAsync();
        await using var _ = provider;
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();
        var settings = Settings(providerUrl);
        settings["BatchAspire:Telemetry:CaptureContent"] = "true";
        var spans = new ConcurrentQueue<Activity>();
        using var worker = TestHost.Build(store, prefix, worker: true, settings, services => services.AddOpenTelemetry()
            .WithTracing(t => t.AddProcessor(new SimpleActivityExportProcessor(new QueueExporter(spans)))));
        await worker.StartAsync(TestContext.Current.CancellationToken);
        var (job, error) = await worker.Services.GetRequiredService<JobSubmission>().SubmitAsync("default", Request());
        Assert.Null(error);
        await WaitForAsync(worker, job!.Id, JobStatus.Completed);
        await worker.StopAsync(CancellationToken.None);

        var loop = Assert.Single(spans, s => (string?)s.GetTagItem("batch.job.id") == job.Id && s.DisplayName == "chat loop-1");
        Assert.Contains(Prompt, (string?)loop.GetTagItem("gen_ai.input.messages"));
        Assert.Contains("pong", (string?)loop.GetTagItem("gen_ai.output.messages"));
        Assert.Empty(loop.Links); // submitted outside any trace: nothing to link to
    }

    [Fact]
    public async Task OTLP_exporter_sends_attempt_spans_metrics_and_logs_when_the_endpoint_is_set()
    {
        var received = new ConcurrentQueue<(string Signal, string ContentType, byte[] Body)>();
        var (receiver, receiverUrl) = await LoopbackServers.StartOtlpReceiverAsync(received);
        await using var _ = receiver;
        var store = TestStores.Get("garnet");
        var prefix = TestStores.UniquePrefix();

        // The Worker's real wiring: ServiceDefaults' OpenTelemetry setup, configured only by the OTEL_* settings.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "BatchAspire.Worker" });
        builder.Configuration.AddInMemoryCollection(TestHost.Settings(store, prefix));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiverUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "batchaspire-worker-test",
            ["BatchAspire:Providers:sim:LatencyMs"] = "2",
        });
        builder.Services.AddSingleton(store.Connection);
        builder.ConfigureOpenTelemetry();
        BatchAspire.Worker.WorkerExtensions.AddBatchWorker(builder);
        using (var host = builder.Build())
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            var items = Enumerable.Range(0, 20).Select(i => new JobItemRequest { CustomId = $"o{i}", Body = Body("hi") }).ToList<JobItemRequest?>();
            var (job, error) = await host.Services.GetRequiredService<JobSubmission>().SubmitAsync("default", new JobRequest { Model = "sim-1", Items = items });
            Assert.Null(error);
            await WaitForAsync(host, job!.Id, JobStatus.Completed);
            await host.StopAsync(CancellationToken.None);
        } // disposing the host flushes every exporter

        var traces = received.Where(r => r.Signal == "traces").ToList();
        Assert.NotEmpty(traces);
        Assert.All(traces, t => Assert.Equal("application/x-protobuf", t.ContentType));
        var names = traces.SelectMany(t => OtlpTraces.SpanNames(t.Body)).ToList();
        Assert.True(names.Count(n => n == "chat sim-1") >= 20, $"spans received: {string.Join(", ", names.Distinct())}");
        Assert.Contains(received, r => r.Signal == "metrics" && r.Body.Length > 0);
        Assert.Contains(received, r => r.Signal == "logs" && r.Body.Length > 0);
    }

    private static Dictionary<string, string?> Settings(string providerUrl) => new()
    {
        ["BatchAspire:Providers:sim:LatencyMs"] = "5",
        ["BatchAspire:Providers:loop:Type"] = "openai",
        ["BatchAspire:Providers:loop:BaseUrl"] = providerUrl + "/v1",
        ["BatchAspire:Providers:loop:Models:0"] = "loop-*",
        ["BatchAspire:Telemetry:QueueDepthRefresh"] = "00:00:00.100",
    };

    private static JobRequest Request() => new()
    {
        Model = "sim-1",
        Items = [.. Enumerable.Range(0, 5).Select(i => new JobItemRequest { CustomId = $"q{i}", Body = Body(Prompt) }),
                 new JobItemRequest { CustomId = "q-loop", Body = Body(Prompt, "loop-1") }],
    };

    private static JsonElement Body(string prompt, string? model = null) => JsonSerializer.SerializeToElement(new Dictionary<string, object>
    {
        ["messages"] = new[] { new { role = "user", content = prompt } },
    }.Concat(model is null ? [] : [KeyValuePair.Create("model", (object)model)]).ToDictionary());

    private static async Task WaitForAsync(IHost host, string jobId, string status)
    {
        var store = host.Services.GetRequiredService<JobStore>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Job? job = null;
        while (DateTime.UtcNow < deadline)
        {
            job = await store.GetAnyAsync(jobId);
            if (job?.Status == status) return;
            await Task.Delay(50);
        }
        Assert.Fail($"Job {jobId} did not reach {status}: {JsonSerializer.Serialize(job)}");
    }

    private static MetricSnapshot Metric(List<MetricSnapshot> metrics, string name)
    {
        lock (metrics) return metrics.Last(m => m.Name == name);
    }

    private static List<MetricPoint> Points(List<MetricSnapshot> metrics, string name)
    {
        lock (metrics) return [.. metrics.Where(m => m.Name == name).SelectMany(m => m.MetricPoints)];
    }

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags) if (tag.Key == key) return tag.Value?.ToString();
        return null;
    }

    private static double[] Bounds(MetricPoint point)
    {
        var bounds = new List<double>();
        foreach (var bucket in point.GetHistogramBuckets()) if (!double.IsPositiveInfinity(bucket.ExplicitBound)) bounds.Add(bucket.ExplicitBound);
        return [.. bounds];
    }

    /// <summary>A thread-safe in-memory span exporter (the Worker ends spans on many threads at once).</summary>
    private sealed class QueueExporter(ConcurrentQueue<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var activity in batch) spans.Enqueue(activity);
            return ExportResult.Success;
        }
    }
}
