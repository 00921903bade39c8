using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.RateLimiting;
using BatchAspire.Core.Retries;
using BatchAspire.Core.Telemetry;
using Polly;

namespace BatchAspire.Core.Queue;

/// <summary>
/// Runs one leased item: waits for a permit from the distributed limiter, calls its provider through the
/// provider's resilience pipeline (short in-process retries), classifies the answer (DESIGN.md §7) and decides
/// what happens next: a final result, a durable retry, a requeue after a rate limit, or a hand-back.
/// </summary>
public sealed class ItemProcessor(
    ProviderRegistry providers,
    RetryPolicy retries,
    ProviderCallPipelines pipelines,
    RateLimiter limiter,
    RateLimitScopes scopes,
    RateLimitStore limits,
    TokenEstimator tokens,
    JobRunSettingsCache jobs,
    TimeProvider time)
{
    private readonly ConcurrentDictionary<string, byte> _jobsMarked = new();

    public async Task<object> ProcessAsync(LeasedItem leased, CancellationToken stopping)
    {
        var item = leased.Item;
        var operation = OperationName(item.Url);
        using var activity = BatchTelemetry.Source.StartActivity($"{operation} {item.Model}", ActivityKind.Client);
        activity?.SetTag("gen_ai.operation.name", operation);
        activity?.SetTag("gen_ai.provider.name", item.Provider);
        activity?.SetTag("gen_ai.request.model", item.Model);
        activity?.SetTag("batch.job.id", leased.JobId);
        activity?.SetTag("batch.item.custom_id", item.CustomId);

        var job = await jobs.GetAsync(leased.JobId);
        var scope = scopes.Resolve(item.Provider, item.Model, leased.JobId, job.Metadata);
        var call = new Call(providers.GetClient(item.Provider), limiter, time, leased, scope, scope is null ? default : tokens.Estimate(item), stopping);
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
            return await QuotaStoppedAsync(leased, null, denied.ProviderMessage, call.History);
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

        activity?.SetTag("batch.item.attempt", call.History.Count == 0 ? 0 : call.History[^1].Attempt);
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
        return await DecideAsync(leased, response, call.History, job);
    }

    /// <summary>The classification table of DESIGN.md §7, applied to the last attempt's outcome.</summary>
    private async Task<object> DecideAsync(LeasedItem leased, ProviderResponse response, List<AttemptRecord> history, JobRunSettings job)
    {
        var item = leased.Item;
        switch (response.Outcome)
        {
            case ProviderOutcome.Success:
                return Finish(leased, true, response, null, history);

            case ProviderOutcome.RateLimited:
                // The shared cooldown already holds every Worker; the item simply waits its turn again.
                BatchTelemetry.RateLimited.Add(1, new KeyValuePair<string, object?>("gen_ai.provider.name", item.Provider));
                return new ItemReschedule(leased.JobId, leased.Index, retries.RateLimitWait(response.RetryAfter), history, RescheduleKind.RateLimited);

            case ProviderOutcome.QuotaExhausted:
                return await QuotaStoppedAsync(leased, response, response.Error?.Message, history);

            case ProviderOutcome.Transient:
                var attempts = history.Count(a => a.Outcome != "rate_limited" && a.Outcome != "released");
                var last = response.Error?.Message ?? "transient provider failure";
                if (attempts >= retries.Options.MaxAttempts)
                {
                    return Finish(leased, false, response, new ItemError(response.Error?.Code ?? "provider_error",
                        $"Gave up after {attempts} attempts (BatchAspire:Retries:MaxAttempts). Last error: {last}"), history);
                }
                var delay = retries.Backoff(attempts);
                var now = time.GetUtcNow();
                var firstAttempt = DateTimeOffset.FromUnixTimeMilliseconds(history.First(a => a.Outcome != "released").StartedAt);
                if (now + delay - firstAttempt > retries.Options.RetryWindow)
                {
                    return Finish(leased, false, response, new ItemError("retry_window_exceeded",
                        $"Still failing {retries.Options.RetryWindow} after the first attempt (BatchAspire:Retries:RetryWindow). Last error: {last}"), history);
                }
                if (job.ExpiresAt is { } deadline && now + delay >= deadline)
                {
                    return Finish(leased, false, response, new ItemError("retry_window_exceeded",
                        $"The next retry would fall after the job's deadline ({deadline:O}). Last error: {last}"), history);
                }
                BatchTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("gen_ai.provider.name", item.Provider));
                return new ItemReschedule(leased.JobId, leased.Index, delay, history, RescheduleKind.Retry);

            default:
                return Finish(leased, false, response, response.Error ?? new ItemError("provider_error", "The provider rejected the request."), history);
        }
    }

    /// <summary>The scope's quota is exhausted: the item fails with that error (never retried), and the job says why.</summary>
    private async ValueTask<ItemCompletion> QuotaStoppedAsync(LeasedItem leased, ProviderResponse? response, string? providerMessage, List<AttemptRecord> history)
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
        return Finish(leased, false, response ?? new ProviderResponse(ProviderOutcome.QuotaExhausted, null, null), error, history);
    }

    private static ItemCompletion Finish(LeasedItem leased, bool succeeded, ProviderResponse response, ItemError? error, List<AttemptRecord> history)
    {
        var usage = response.Usage ?? TokenUsage.None;
        BatchTelemetry.ItemsFinished.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? ItemStatus.Succeeded : ItemStatus.Failed));
        if (usage.TotalTokens > 0)
        {
            BatchTelemetry.TokenUsage.Record(usage.InputTokens, new("gen_ai.token.type", "input"), new("gen_ai.request.model", leased.Item.Model));
            BatchTelemetry.TokenUsage.Record(usage.OutputTokens, new("gen_ai.token.type", "output"), new("gen_ai.request.model", leased.Item.Model));
        }
        const long costPico = 0; // priced per model by the pricing table (providers issue)
        var json = ResultJson.Write(leased.Item, succeeded, response.Body, succeeded ? null : error ?? response.Error, history, usage, costPico);
        return new ItemCompletion(leased.JobId, leased.Index, succeeded, json, usage, costPico);
    }

    /// <summary>The GenAI operation name of an endpoint (<c>/v1/chat/completions</c> → <c>chat</c>).</summary>
    public static string OperationName(string url) => url switch
    {
        _ when url.EndsWith("/embeddings", StringComparison.Ordinal) => "embeddings",
        _ when url.EndsWith("/images/generations", StringComparison.Ordinal) => "generate_content",
        _ when url.EndsWith("/completions", StringComparison.Ordinal) && !url.Contains("chat", StringComparison.Ordinal) => "text_completion",
        _ => "chat",
    };

    /// <summary>The attempts of one item within one lease: each waits for its permit, then calls once.</summary>
    private sealed class Call(IProviderClient client, RateLimiter limiter, TimeProvider time, LeasedItem leased, PermitScope? scope, TokenEstimate estimate, CancellationToken stopping)
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
                throw;
            }
            if (permit is not null) limiter.Release(permit, response);

            var ended = time.GetUtcNow();
            BatchTelemetry.OperationDuration.Record((ended - started).TotalSeconds,
                new("gen_ai.operation.name", OperationName(item.Url)), new("gen_ai.provider.name", item.Provider), new("gen_ai.request.model", item.Model));
            var counted = History.Count(a => a.Outcome != "rate_limited" && a.Outcome != "released");
            History.Add(new AttemptRecord
            {
                Attempt = counted + 1,
                StartedAt = started.ToUnixTimeMilliseconds(),
                LatencyMs = (long)(ended - started).TotalMilliseconds,
                WaitMs = (long)Math.Max(0, (started - _readySince).TotalMilliseconds),
                RateLimitWaitMs = (long)Math.Max(0, (started - waitStart).TotalMilliseconds),
                StatusCode = response.StatusCode,
                Outcome = response.Outcome.Name(),
                ErrorCode = response.Error?.Code,
            });
            _readySince = ended;
            return response;
        }
    }
}
