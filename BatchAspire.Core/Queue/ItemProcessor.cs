using System.Diagnostics;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Retries;
using BatchAspire.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchAspire.Core.Queue;

/// <summary>
/// Runs one attempt of one leased item: calls its provider, classifies the answer (DESIGN.md §7) and
/// decides what happens next: a final result, a durable retry, or a requeue after a rate limit.
/// Each attempt is one span (<c>{operation} {model}</c>, GenAI semantic conventions) linked to the trace
/// that submitted the job; the provider's HTTP span and this attempt's logs nest inside it.
/// </summary>
public sealed partial class ItemProcessor(
    ProviderRegistry providers,
    RetryPolicy retries,
    TimeProvider time,
    JobTraceContexts traces,
    IOptions<TelemetryOptions> telemetry,
    ILogger<ItemProcessor> logger,
    PricingTable prices,
    JobBudgets budgets)
{
    public async Task<object> ProcessAsync(LeasedItem leased, CancellationToken stopping)
    {
        var item = leased.Item;
        var attempt = leased.CountedAttempts + 1;
        var operation = OperationName(item.Url);
        var submit = await traces.GetAsync(leased.JobId);
        var started = time.GetUtcNow();
        using var activity = BatchTelemetry.Source.StartActivity(
            ActivityKind.Client, parentContext: default,
            tags:
            [
                new("gen_ai.operation.name", operation),
                new("gen_ai.provider.name", item.Provider),
                new("gen_ai.request.model", item.Model),
                new("batch.job.id", leased.JobId),
                new("batch.item.custom_id", item.CustomId),
                new("batch.item.attempt", attempt),
            ],
            links: submit is { } s ? [new ActivityLink(s)] : null,
            name: $"{operation} {item.Model}");
        var waited = Math.Max(0, (started - leased.LeasedAt).TotalSeconds);
        activity?.SetTag("batch.rate_limit.wait_ms", (long)(waited * 1000));
        BatchTelemetry.RateLimitWait.Record(waited, new KeyValuePair<string, object?>("gen_ai.provider.name", item.Provider));
        if (activity is not null && telemetry.Value.CaptureContent) activity.SetTag("gen_ai.input.messages", InputContent(item.Body));

        // A job with a budget reserves this call's worst case first (JobBudgets); without room, the call is never sent.
        if (await budgets.ReserveAsync(leased) is { } refused)
        {
            activity?.SetTag("error.type", refused.Code);
            var unsent = Record(leased, attempt, started, null, refused.Code, refused.Code);
            return Finish(activity, leased, operation, false, new ProviderResponse(ProviderOutcome.Permanent, null, null, Error: refused), refused, unsent);
        }

        ProviderResponse response;
        try
        {
            // The provider call runs inside the attempt's activity, so its HTTP client span is a child of it.
            response = await providers.GetClient(item.Provider)
                .SendAsync(new ProviderRequest(leased.JobId, item.CustomId, new ModelRoute(item.Provider, item.Model), item.Url, item.Body), stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The Worker is stopping: hand the item straight back, without counting an attempt.
            activity?.SetTag("error.type", "released");
            var released = Record(leased, attempt, started, null, "released", null);
            return new ItemReschedule(leased.JobId, leased.Index, TimeSpan.Zero, released, RescheduleKind.Release);
        }

        var latency = time.GetUtcNow() - started;
        var errorType = response.Outcome == ProviderOutcome.Success ? null : response.Error?.Code ?? response.Outcome.Name();
        Annotate(activity, response, errorType);
        var durationTags = new TagList { { "gen_ai.operation.name", operation }, { "gen_ai.provider.name", item.Provider }, { "gen_ai.request.model", item.Model } };
        if (errorType is not null) durationTags.Add("error.type", errorType);
        BatchTelemetry.OperationDuration.Record(latency.TotalSeconds, durationTags);

        var history = Record(leased, attempt, started, response.StatusCode, response.Outcome.Name(), response.Error?.Code);
        LogAttempt(logger, leased.JobId, item.CustomId, attempt, response.Outcome.Name(), response.StatusCode, (long)latency.TotalMilliseconds);
        KeyValuePair<string, object?> job = new("batch.job.id", leased.JobId), provider = new("gen_ai.provider.name", item.Provider);
        switch (response.Outcome)
        {
            case ProviderOutcome.Success:
                return Finish(activity, leased, operation, true, response, null, history);

            case ProviderOutcome.RateLimited:
                BatchTelemetry.RateLimited.Add(1, job, provider);
                return new ItemReschedule(leased.JobId, leased.Index, retries.RateLimitWait(response.RetryAfter), history, RescheduleKind.RateLimited);

            case ProviderOutcome.Transient:
                var firstAttempt = DateTimeOffset.FromUnixTimeMilliseconds(history[0].StartedAt);
                var delay = retries.Backoff(attempt);
                if (attempt >= retries.Options.MaxAttempts)
                {
                    var last = response.Error?.Message ?? "transient provider failure";
                    return Finish(activity, leased, operation, false, response, new ItemError(response.Error?.Code ?? "provider_error",
                        $"Gave up after {attempt} attempts (BatchAspire:Retries:MaxAttempts). Last error: {last}"), history);
                }
                if (time.GetUtcNow() + delay - firstAttempt > retries.Options.RetryWindow)
                {
                    return Finish(activity, leased, operation, false, response, new ItemError("retry_window_exceeded",
                        $"Still failing {retries.Options.RetryWindow} after the first attempt (BatchAspire:Retries:RetryWindow). Last error: {response.Error?.Message}"), history);
                }
                BatchTelemetry.Retries.Add(1, job, provider);
                return new ItemReschedule(leased.JobId, leased.Index, delay, history, RescheduleKind.Retry);

            default:
                return Finish(activity, leased, operation, false, response, response.Error ?? new ItemError("provider_error", "The provider rejected the request."), history);
        }
    }

    private void Annotate(Activity? activity, ProviderResponse response, string? errorType)
    {
        if (activity is null) return;
        activity.SetTag("gen_ai.response.model", response.ResponseModel);
        activity.SetTag("http.response.status_code", response.StatusCode);
        if (response.Outcome == ProviderOutcome.Success && response.Body is { } body)
        {
            activity.SetTag("gen_ai.response.id", TopLevelString(body, "id"));
            if (telemetry.Value.CaptureContent) activity.SetTag("gen_ai.output.messages", OutputContent(body));
        }
        if (response.Usage is { } u)
        {
            activity.SetTag("gen_ai.usage.input_tokens", u.InputTokens);
            activity.SetTag("gen_ai.usage.output_tokens", u.OutputTokens);
        }
        if (errorType is not null)
        {
            activity.SetTag("error.type", errorType);
            activity.SetStatus(ActivityStatusCode.Error, response.Error?.Message);
        }
    }

    private ItemCompletion Finish(Activity? activity, LeasedItem leased, string operation, bool succeeded, ProviderResponse response, ItemError? error, List<AttemptRecord> history)
    {
        var item = leased.Item;
        var usage = response.Usage ?? TokenUsage.None;
        // A failed call that reports usage (rare) was billed, so it is priced too; a model without a price costs 0.
        var costPico = usage.TotalTokens > 0 ? prices.Find(item.Model)?.CostPico(usage) ?? 0 : 0;
        var costUsd = (double)Money.ToUsd(costPico);
        activity?.SetTag("batch.cost.usd", costUsd);
        KeyValuePair<string, object?> job = new("batch.job.id", leased.JobId), provider = new("gen_ai.provider.name", item.Provider);
        BatchTelemetry.ItemsFinished.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? ItemStatus.Succeeded : ItemStatus.Failed), job, provider);
        BatchTelemetry.Cost.Add(costUsd, job, provider, new KeyValuePair<string, object?>("gen_ai.request.model", item.Model));
        if (usage.TotalTokens > 0)
        {
            KeyValuePair<string, object?> op = new("gen_ai.operation.name", operation), model = new("gen_ai.request.model", item.Model);
            BatchTelemetry.TokenUsage.Record(usage.InputTokens, op, provider, model, new("gen_ai.token.type", "input"));
            BatchTelemetry.TokenUsage.Record(usage.OutputTokens, op, provider, model, new("gen_ai.token.type", "output"));
        }
        var json = ResultJson.Write(item, succeeded, response.Body, succeeded ? null : error ?? response.Error, history, usage, costPico);
        return new ItemCompletion(leased.JobId, leased.Index, succeeded, json, usage, costPico);
    }

    private List<AttemptRecord> Record(LeasedItem leased, int attempt, DateTimeOffset started, int? status, string outcome, string? errorCode)
    {
        var history = new List<AttemptRecord>(leased.History.Count + 1);
        history.AddRange(leased.History);
        history.Add(new AttemptRecord
        {
            Attempt = attempt,
            StartedAt = started.ToUnixTimeMilliseconds(),
            LatencyMs = (long)(time.GetUtcNow() - started).TotalMilliseconds,
            WaitMs = (long)Math.Max(0, (started - leased.LeasedAt).TotalMilliseconds),
            StatusCode = status,
            Outcome = outcome,
            ErrorCode = errorCode,
        });
        return history;
    }

    [LoggerMessage(LogLevel.Debug, "Attempt {Attempt} of item {CustomId} in {JobId}: {Outcome} (HTTP {StatusCode}) after {LatencyMs} ms")]
    private static partial void LogAttempt(ILogger logger, string jobId, string customId, int attempt, string outcome, int? statusCode, long latencyMs);

    /// <summary>A top-level string property of a JSON object (the response <c>id</c>), without parsing the rest.</summary>
    public static string? TopLevelString(byte[] json, string property)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(property);
                reader.Read();
                if (match) return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private static string InputContent(JsonElement body) =>
        body.TryGetProperty("messages", out var m) ? m.GetRawText()
        : body.TryGetProperty("input", out var i) ? i.GetRawText()
        : body.TryGetProperty("prompt", out var p) ? p.GetRawText() : "";

    private static string? OutputContent(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("choices", out var c) ? c.GetRawText()
                : doc.RootElement.TryGetProperty("output", out var o) ? o.GetRawText() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The GenAI operation name of an endpoint (<c>/v1/chat/completions</c> → <c>chat</c>).</summary>
    public static string OperationName(string url) => url switch
    {
        _ when url.EndsWith("/embeddings", StringComparison.Ordinal) => "embeddings",
        _ when url.EndsWith("/images/generations", StringComparison.Ordinal) => "generate_content",
        _ when url.EndsWith("/completions", StringComparison.Ordinal) && !url.Contains("chat", StringComparison.Ordinal) => "text_completion",
        _ => "chat",
    };
}
