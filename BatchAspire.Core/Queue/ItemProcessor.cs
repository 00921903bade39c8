using System.Diagnostics;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Retries;
using BatchAspire.Core.Telemetry;

namespace BatchAspire.Core.Queue;

/// <summary>
/// Runs one attempt of one leased item: calls its provider, classifies the answer (DESIGN.md §7) and
/// decides what happens next: a final result, a durable retry, or a requeue after a rate limit.
/// </summary>
public sealed class ItemProcessor(ProviderRegistry providers, RetryPolicy retries, TimeProvider time, PricingTable prices, JobBudgets budgets)
{
    public async Task<object> ProcessAsync(LeasedItem leased, CancellationToken stopping)
    {
        var item = leased.Item;
        var attempt = leased.CountedAttempts + 1;
        var started = time.GetUtcNow();
        var operation = OperationName(item.Url);
        using var activity = BatchTelemetry.Source.StartActivity($"{operation} {item.Model}", ActivityKind.Client);
        activity?.SetTag("gen_ai.operation.name", operation);
        activity?.SetTag("gen_ai.provider.name", item.Provider);
        activity?.SetTag("gen_ai.request.model", item.Model);
        activity?.SetTag("batch.job.id", leased.JobId);
        activity?.SetTag("batch.item.custom_id", item.CustomId);
        activity?.SetTag("batch.item.attempt", attempt);

        // A job with a budget reserves this call's worst case first (JobBudgets); without room, the call is never sent.
        if (await budgets.ReserveAsync(leased) is { } refused)
        {
            activity?.SetTag("error.type", refused.Code);
            var unsent = Record(leased, attempt, started, null, refused.Code, refused.Code);
            return Finish(leased, false, new ProviderResponse(ProviderOutcome.Permanent, null, null, Error: refused), refused, unsent);
        }

        ProviderResponse response;
        try
        {
            response = await providers.GetClient(item.Provider)
                .SendAsync(new ProviderRequest(leased.JobId, item.CustomId, new ModelRoute(item.Provider, item.Model), item.Url, item.Body), stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The Worker is stopping: hand the item straight back, without counting an attempt.
            var released = Record(leased, attempt, started, null, "released", null);
            return new ItemReschedule(leased.JobId, leased.Index, TimeSpan.Zero, released, RescheduleKind.Release);
        }

        var latency = time.GetUtcNow() - started;
        BatchTelemetry.OperationDuration.Record(latency.TotalSeconds,
            new("gen_ai.operation.name", operation), new("gen_ai.provider.name", item.Provider), new("gen_ai.request.model", item.Model));
        activity?.SetTag("gen_ai.response.model", response.ResponseModel);
        activity?.SetTag("http.response.status_code", response.StatusCode);
        if (response.Usage is { } u)
        {
            activity?.SetTag("gen_ai.usage.input_tokens", u.InputTokens);
            activity?.SetTag("gen_ai.usage.output_tokens", u.OutputTokens);
        }
        if (response.Outcome != ProviderOutcome.Success)
        {
            activity?.SetTag("error.type", response.Error?.Code ?? response.Outcome.Name());
            activity?.SetStatus(ActivityStatusCode.Error);
        }

        var history = Record(leased, attempt, started, response.StatusCode, response.Outcome.Name(), response.Error?.Code);
        switch (response.Outcome)
        {
            case ProviderOutcome.Success:
                return Finish(leased, true, response, null, history);

            case ProviderOutcome.RateLimited:
                BatchTelemetry.RateLimited.Add(1, new KeyValuePair<string, object?>("gen_ai.provider.name", item.Provider));
                return new ItemReschedule(leased.JobId, leased.Index, retries.RateLimitWait(response.RetryAfter), history, RescheduleKind.RateLimited);

            case ProviderOutcome.Transient:
                var firstAttempt = DateTimeOffset.FromUnixTimeMilliseconds(history[0].StartedAt);
                var delay = retries.Backoff(attempt);
                if (attempt >= retries.Options.MaxAttempts)
                {
                    var last = response.Error?.Message ?? "transient provider failure";
                    return Finish(leased, false, response, new ItemError(response.Error?.Code ?? "provider_error",
                        $"Gave up after {attempt} attempts (BatchAspire:Retries:MaxAttempts). Last error: {last}"), history);
                }
                if (time.GetUtcNow() + delay - firstAttempt > retries.Options.RetryWindow)
                {
                    return Finish(leased, false, response, new ItemError("retry_window_exceeded",
                        $"Still failing {retries.Options.RetryWindow} after the first attempt (BatchAspire:Retries:RetryWindow). Last error: {response.Error?.Message}"), history);
                }
                BatchTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("gen_ai.provider.name", item.Provider));
                return new ItemReschedule(leased.JobId, leased.Index, delay, history, RescheduleKind.Retry);

            default:
                return Finish(leased, false, response, response.Error ?? new ItemError("provider_error", "The provider rejected the request."), history);
        }
    }

    private ItemCompletion Finish(LeasedItem leased, bool succeeded, ProviderResponse response, ItemError? error, List<AttemptRecord> history)
    {
        var usage = response.Usage ?? TokenUsage.None;
        BatchTelemetry.ItemsFinished.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? ItemStatus.Succeeded : ItemStatus.Failed));
        if (usage.TotalTokens > 0)
        {
            BatchTelemetry.TokenUsage.Record(usage.InputTokens, new("gen_ai.token.type", "input"), new("gen_ai.request.model", leased.Item.Model));
            BatchTelemetry.TokenUsage.Record(usage.OutputTokens, new("gen_ai.token.type", "output"), new("gen_ai.request.model", leased.Item.Model));
        }
        // A failed call that reports usage (rare) was billed, so it is priced too; a model without a price costs 0.
        var costPico = usage.TotalTokens > 0 ? prices.Find(leased.Item.Model)?.CostPico(usage) ?? 0 : 0;
        Activity.Current?.SetTag("batch.cost.usd", (double)Money.ToUsd(costPico));
        var json = ResultJson.Write(leased.Item, succeeded, response.Body, succeeded ? null : error ?? response.Error, history, usage, costPico);
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

    /// <summary>The GenAI operation name of an endpoint (<c>/v1/chat/completions</c> → <c>chat</c>).</summary>
    public static string OperationName(string url) => url switch
    {
        _ when url.EndsWith("/embeddings", StringComparison.Ordinal) => "embeddings",
        _ when url.EndsWith("/images/generations", StringComparison.Ordinal) => "generate_content",
        _ when url.EndsWith("/completions", StringComparison.Ordinal) && !url.Contains("chat", StringComparison.Ordinal) => "text_completion",
        _ => "chat",
    };
}
