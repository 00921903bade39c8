using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Providers;
using BatchAspire.Core.RateLimiting;
using BatchAspire.Core.Retries;
using BatchAspire.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using LimiterTokenEstimator = BatchAspire.Core.RateLimiting.TokenEstimator;

namespace BatchAspire.Core.Queue;

/// <summary>
/// Runs one leased item: reserves its budget, waits for a permit from the distributed limiter, calls its
/// provider through the provider's resilience pipeline (short in-process retries), classifies the answer
/// (DESIGN.md §7) and decides what happens next: a final result, a durable retry, a requeue after a rate
/// limit, or a hand-back. Each attempt is one span (<c>{operation} {model}</c>, GenAI semantic conventions)
/// linked to the trace that submitted the job; the provider's HTTP span and the attempt's log nest inside it.
/// </summary>
public sealed partial class ItemProcessor(
    ProviderRegistry providers,
    RetryPolicy retries,
    ProviderCallPipelines pipelines,
    RateLimiter limiter,
    RateLimitScopes scopes,
    RateLimitStore limits,
    LimiterTokenEstimator tokens,
    JobRunSettingsCache jobs,
    TimeProvider time,
    JobTraceContexts traces,
    IOptions<TelemetryOptions> telemetry,
    ILogger<ItemProcessor> logger,
    PricingTable prices,
    JobBudgets budgets)
{
    private readonly ConcurrentDictionary<string, byte> _jobsMarked = new();

    public async Task<object> ProcessAsync(LeasedItem leased, CancellationToken stopping)
    {
        var item = leased.Item;
        var operation = OperationName(item.Url);

        // A job with a budget reserves this call's worst case first (JobBudgets); without room, the call is never sent.
        if (await budgets.ReserveAsync(leased) is { } refused)
        {
            List<AttemptRecord> unsent =
            [
                .. leased.History,
                new() { Attempt = leased.CountedAttempts + 1, StartedAt = time.GetUtcNow().ToUnixTimeMilliseconds(), Outcome = refused.Code, ErrorCode = refused.Code },
            ];
            return Finish(leased, operation, false, new ProviderResponse(ProviderOutcome.Permanent, null, null, Error: refused), refused, unsent);
        }

        var job = await jobs.GetAsync(leased.JobId);
        var submit = await traces.GetAsync(leased.JobId);
        var scope = scopes.Resolve(item.Provider, item.Model, leased.JobId, job.Metadata);
        var call = new Call(this, providers.GetClient(item.Provider), limiter, time, telemetry.Value, logger,
            leased, scope, scope is null ? default : tokens.Estimate(item), operation, submit, stopping);
        var context = ResilienceContextPool.Shared.Get(stopping);
        context.Properties.Set(ProviderCallPipelines.RetriesAllowed,
            Math.Min(retries.Options.InProcessRetries, Math.Max(0, retries.Options.MaxAttempts - leased.CountedAttempts - 1)));
        ProviderResponse response;
        try
        {
            response = await pipelines.For(item.Provider).ExecuteAsync(static (ctx, c) => c.AttemptAsync(ctx.CancellationToken), context, call);
        }
        catch (PermitDeniedException denied) when (denied.IsQuotaStop)
        {
            return await QuotaStoppedAsync(leased, operation, null, denied.ProviderMessage, call.History);
        }
        catch (PermitDeniedException denied)
        {
            // Too long to wait holding the lease: back to the store until the limiter expects room.
            return new ItemReschedule(leased.JobId, leased.Index, denied.RetryIn, call.History, RescheduleKind.Release);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The Worker is stopping: hand the item straight back, without counting an attempt.
            var history = call.History;
            history.Add(new AttemptRecord { Attempt = leased.CountedAttempts + 1, StartedAt = time.GetUtcNow().ToUnixTimeMilliseconds(), Outcome = "released" });
            return new ItemReschedule(leased.JobId, leased.Index, TimeSpan.Zero, history, RescheduleKind.Release);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        return await DecideAsync(leased, operation, response, call.History, job);
    }

    /// <summary>The classification table of DESIGN.md §7, applied to the last attempt's outcome.</summary>
    private async Task<object> DecideAsync(LeasedItem leased, string operation, ProviderResponse response, List<AttemptRecord> history, JobRunSettings job)
    {
        var item = leased.Item;
        KeyValuePair<string, object?> jobTag = new("batch.job.id", leased.JobId), provider = new("gen_ai.provider.name", item.Provider);
        switch (response.Outcome)
        {
            case ProviderOutcome.Success:
                return Finish(leased, operation, true, response, null, history);

            case ProviderOutcome.RateLimited:
                // The shared cooldown already holds every Worker; the item simply waits its turn again.
                BatchTelemetry.RateLimited.Add(1, jobTag, provider);
                return new ItemReschedule(leased.JobId, leased.Index, retries.RateLimitWait(response.RetryAfter), history, RescheduleKind.RateLimited);

            case ProviderOutcome.QuotaExhausted:
                return await QuotaStoppedAsync(leased, operation, response, response.Error?.Message, history);

            case ProviderOutcome.Transient:
                var attempts = history.Count(a => a.Outcome != "rate_limited" && a.Outcome != "released");
                var last = response.Error?.Message ?? "transient provider failure";
                if (attempts >= retries.Options.MaxAttempts)
                {
                    return Finish(leased, operation, false, response, new ItemError(response.Error?.Code ?? "provider_error",
                        $"Gave up after {attempts} attempts (BatchAspire:Retries:MaxAttempts). Last error: {last}"), history);
                }
                var delay = retries.Backoff(attempts);
                var now = time.GetUtcNow();
                var firstAttempt = DateTimeOffset.FromUnixTimeMilliseconds(history.First(a => a.Outcome != "released").StartedAt);
                if (now + delay - firstAttempt > retries.Options.RetryWindow)
                {
                    return Finish(leased, operation, false, response, new ItemError("retry_window_exceeded",
                        $"Still failing {retries.Options.RetryWindow} after the first attempt (BatchAspire:Retries:RetryWindow). Last error: {last}"), history);
                }
                if (job.ExpiresAt is { } deadline && now + delay >= deadline)
                {
                    return Finish(leased, operation, false, response, new ItemError("retry_window_exceeded",
                        $"The next retry would fall after the job's deadline ({deadline:O}). Last error: {last}"), history);
                }
                BatchTelemetry.Retries.Add(1, jobTag, provider);
                return new ItemReschedule(leased.JobId, leased.Index, delay, history, RescheduleKind.Retry);

            default:
                return Finish(leased, operation, false, response, response.Error ?? new ItemError("provider_error", "The provider rejected the request."), history);
        }
    }

    /// <summary>The scope's quota is exhausted: the item fails with that error (never retried), and the job says why.</summary>
    private async ValueTask<ItemCompletion> QuotaStoppedAsync(LeasedItem leased, string operation, ProviderResponse? response, string? providerMessage, List<AttemptRecord> history)
    {
        var item = leased.Item;
        var error = new ItemError("insufficient_quota",
            $"Provider '{item.Provider}' reported its quota exhausted for {item.Model}; calls to it are stopped (BatchAspire:RateLimits:QuotaStop)."
            + (string.IsNullOrEmpty(providerMessage) ? "" : $" Provider said: {providerMessage}"));
        if (_jobsMarked.TryAdd(leased.JobId, 0))
        {
            try
            {
                await limits.SetJobErrorOnceAsync(leased.JobId, JsonSerializer.Serialize(error, BatchJson.Options));
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                _jobsMarked.TryRemove(leased.JobId, out _);
            }
        }
        return Finish(leased, operation, false, response ?? new ProviderResponse(ProviderOutcome.QuotaExhausted, null, null), error, history);
    }

    private ItemCompletion Finish(LeasedItem leased, string operation, bool succeeded, ProviderResponse response, ItemError? error, List<AttemptRecord> history)
    {
        var item = leased.Item;
        var usage = response.Usage ?? TokenUsage.None;
        var costPico = CostPico(item.Model, usage);
        var costUsd = (double)Money.ToUsd(costPico);
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

    /// <summary>A call that reports usage was billed, failed or not; a model without a price costs 0.</summary>
    private long CostPico(string model, TokenUsage usage) =>
        usage.TotalTokens > 0 ? prices.Find(model)?.CostPico(usage) ?? 0 : 0;

    private Activity? StartAttemptSpan(LeasedItem leased, string operation, int attempt, ActivityContext? submit) =>
        BatchTelemetry.Source.StartActivity(
            ActivityKind.Client, parentContext: default,
            tags:
            [
                new("gen_ai.operation.name", operation),
                new("gen_ai.provider.name", leased.Item.Provider),
                new("gen_ai.request.model", leased.Item.Model),
                new("batch.job.id", leased.JobId),
                new("batch.item.custom_id", leased.Item.CustomId),
                new("batch.item.attempt", attempt),
            ],
            links: submit is { } s ? [new ActivityLink(s)] : null,
            name: $"{operation} {leased.Item.Model}");

    private void Annotate(Activity? activity, ProviderResponse response, long costPico)
    {
        if (activity is null) return;
        activity.SetTag("gen_ai.response.model", response.ResponseModel);
        activity.SetTag("http.response.status_code", response.StatusCode);
        activity.SetTag("batch.cost.usd", (double)Money.ToUsd(costPico));
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
        if (response.Outcome != ProviderOutcome.Success)
        {
            activity.SetTag("error.type", response.Error?.Code ?? response.Outcome.Name());
            activity.SetStatus(ActivityStatusCode.Error, response.Error?.Message);
        }
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

    /// <summary>The attempts of one item within one lease: each waits for its permit, then calls once, in its own span.</summary>
    private sealed class Call(
        ItemProcessor owner, IProviderClient client, RateLimiter limiter, TimeProvider time, TelemetryOptions telemetry, ILogger logger,
        LeasedItem leased, PermitScope? scope, TokenEstimate estimate, string operation, ActivityContext? submit, CancellationToken stopping)
    {
        private readonly ProviderRequest _request = new(leased.JobId, leased.Item.CustomId,
            new ModelRoute(leased.Item.Provider, leased.Item.Model), leased.Item.Url, leased.Item.Body);
        private DateTimeOffset _readySince = leased.LeasedAt;

        public List<AttemptRecord> History { get; } = [.. leased.History];

        public async ValueTask<ProviderResponse> AttemptAsync(CancellationToken attemptToken)
        {
            var item = leased.Item;
            var waitStart = time.GetUtcNow();
            // The permit wait is not part of the attempt's timeout: only the Worker stopping ends it.
            var permit = scope is null ? null : await limiter.AcquireAsync(scope, estimate, stopping);
            var started = time.GetUtcNow();
            var attempt = History.Count(a => a.Outcome != "rate_limited" && a.Outcome != "released") + 1;
            var rateLimitWait = started - waitStart;

            // The provider call runs inside the attempt's span, so its HTTP client span is a child of it.
            using var activity = owner.StartAttemptSpan(leased, operation, attempt, submit);
            activity?.SetTag("batch.rate_limit.wait_ms", (long)Math.Max(0, rateLimitWait.TotalMilliseconds));
            BatchTelemetry.RateLimitWait.Record(Math.Max(0, rateLimitWait.TotalSeconds), new KeyValuePair<string, object?>("gen_ai.provider.name", item.Provider));
            if (activity is not null && telemetry.CaptureContent) activity.SetTag("gen_ai.input.messages", InputContent(item.Body));

            ProviderResponse response;
            try
            {
                response = await client.SendAsync(_request, attemptToken);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                var timeout = new ItemError("timeout", $"Provider '{item.Provider}' did not answer within its per-attempt timeout (BatchAspire:Providers:{item.Provider}:Timeout).");
                response = new ProviderResponse(ProviderOutcome.Transient, null, null, Error: timeout);
            }
            catch
            {
                // Stopping mid-call: the call may have reached the provider, so its request slot stays spent.
                if (permit is not null) limiter.Release(permit, new ProviderResponse(ProviderOutcome.Transient, null, null));
                activity?.SetTag("error.type", "released");
                throw;
            }
            if (permit is not null) limiter.Release(permit, response);

            var ended = time.GetUtcNow();
            owner.Annotate(activity, response, owner.CostPico(item.Model, response.Usage ?? TokenUsage.None));
            var durationTags = new TagList { { "gen_ai.operation.name", operation }, { "gen_ai.provider.name", item.Provider }, { "gen_ai.request.model", item.Model } };
            if (response.Outcome != ProviderOutcome.Success) durationTags.Add("error.type", response.Error?.Code ?? response.Outcome.Name());
            BatchTelemetry.OperationDuration.Record((ended - started).TotalSeconds, durationTags);
            LogAttempt(logger, leased.JobId, item.CustomId, attempt, response.Outcome.Name(), response.StatusCode, (long)(ended - started).TotalMilliseconds);

            History.Add(new AttemptRecord
            {
                Attempt = attempt,
                StartedAt = started.ToUnixTimeMilliseconds(),
                LatencyMs = (long)(ended - started).TotalMilliseconds,
                WaitMs = (long)Math.Max(0, (started - _readySince).TotalMilliseconds),
                RateLimitWaitMs = (long)Math.Max(0, rateLimitWait.TotalMilliseconds),
                StatusCode = response.StatusCode,
                Outcome = response.Outcome.Name(),
                ErrorCode = response.Error?.Code,
            });
            _readySince = ended;
            return response;
        }
    }
}
