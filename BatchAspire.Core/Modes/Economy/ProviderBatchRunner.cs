using System.Globalization;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Queue;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Core.Modes.Economy;

/// <summary>
/// Drives one economy (or waves) job one step: cancels or expires it, polls its provider batches that are due,
/// records the results of those that ended, and submits the next provider batches. Every step starts from the
/// stored state, so a Worker that takes over a job (its predecessor died) simply carries on.
/// Results go through <see cref="WorkQueue.CompleteAsync"/>, which writes each item once.
/// </summary>
public sealed class ProviderBatchRunner(
    ProviderBatchStore store,
    ProviderBatchClients clients,
    ProviderRegistry providers,
    WorkQueue queue,
    PricingTable prices,
    ModePlanner planner,
    IOptions<ModeOptions> options,
    TimeProvider time,
    ILogger<ProviderBatchRunner> logger)
{
    private const int RecordPage = 500;

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task AdvanceAsync(string jobId, CancellationToken cancellationToken)
    {
        var meta = await store.MetaAsync(jobId);
        if (meta.Count == 0)
        {
            await store.ForgetAsync(jobId, TimeSpan.Zero);
            return;
        }
        string S(string f) => meta.TryGetValue(f, out var v) ? v.ToString() : "";
        long L(string f) => long.TryParse(S(f), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var retention = TimeSpan.FromSeconds(L("retention_s"));
        var status = S("status");
        var records = await store.RecordsAsync(jobId);

        if (!Dispatches.UsesProviderBatches(S("mode_decision")))
        {
            await store.ForgetAsync(jobId, retention);
            return;
        }
        if (status is JobStatus.Cancelling || JobStatus.IsTerminal(status))
        {
            // A cancelled (or otherwise ended) job cancels its provider batches still running.
            await CancelRunningAsync(jobId, records, cancellationToken);
            if (JobStatus.IsTerminal(status)) await store.ForgetAsync(jobId, retention);
            return;
        }
        if (L("expires_at") is > 0 and var expires && NowMs >= expires * 1000)
        {
            await CancelRunningAsync(jobId, records, cancellationToken);
            bool more;
            do (status, more) = await queue.ExpireAsync(jobId); while (more);
            return;
        }

        foreach (var record in records.Where(r => r.State == ProviderBatchStates.Submitted && r.NextPollAtMs <= NowMs))
        {
            await PollAsync(jobId, record, cancellationToken);
        }
        records = await store.RecordsAsync(jobId);
        await SubmitAsync(jobId, S("mode"), S("mode_decision"), L("total"), L("pb_cursor"), (int)L("pb_chunks"), L("pb_next_submit_ms"), L("expires_at"), records, cancellationToken);
    }

    private async Task CancelRunningAsync(string jobId, List<ProviderBatchRecord> records, CancellationToken cancellationToken)
    {
        foreach (var record in records.Where(r => r.State == ProviderBatchStates.Submitted))
        {
            await clients.Get(record.Provider).CancelAsync(record.BatchId!, cancellationToken);
            await store.SaveAsync(jobId, record with { State = ProviderBatchStates.Cancelled });
            logger.LogInformation("Cancelled provider batch {BatchId} of job {JobId}", record.BatchId, jobId);
        }
    }

    private async Task PollAsync(string jobId, ProviderBatchRecord record, CancellationToken cancellationToken)
    {
        var client = clients.Get(record.Provider);
        var poll = await client.PollAsync(record.BatchId!, cancellationToken);
        if (!poll.Ended)
        {
            // Adaptive: soon after submission, then less and less often (doubling up to MaxPollInterval).
            var interval = Math.Min(Math.Max(record.PollIntervalMs * 2, (long)options.Value.MinPollInterval.TotalMilliseconds), (long)options.Value.MaxPollInterval.TotalMilliseconds);
            await store.SaveAsync(jobId, record with { ProviderStatus = poll.Failure is null ? poll.ProviderStatus : record.ProviderStatus, NextPollAtMs = NowMs + interval, PollIntervalMs = interval });
            return;
        }

        var page = new List<BatchItemResult>(RecordPage);
        await foreach (var result in client.ResultsAsync(poll, cancellationToken))
        {
            page.Add(result);
            if (page.Count == RecordPage)
            {
                await RecordAsync(jobId, record, client, page);
                page.Clear();
            }
        }
        await RecordAsync(jobId, record, client, page);

        // Items the batch ended without an answer for (expired, cancelled, failed batch) fail with the batch's reason.
        var reason = poll.EndReason ?? new ItemError("missing_result", $"The provider batch {record.BatchId} ended without a result for this item.");
        var unfinished = await store.UnfinishedAsync(jobId, record.Start, record.End);
        for (var i = 0; i < unfinished.Count; i += RecordPage)
        {
            await FailAsync(jobId, unfinished.Skip(i).Take(RecordPage).ToList(), reason, record.SubmittedAtMs, record.BatchId);
        }
        await store.SaveAsync(jobId, record with { State = ProviderBatchStates.Done, ProviderStatus = poll.ProviderStatus });
        logger.LogInformation("Provider batch {BatchId} of job {JobId} ended {Status}; {Missing} items without a result", record.BatchId, jobId, poll.ProviderStatus, unfinished.Count);
    }

    private async Task RecordAsync(string jobId, ProviderBatchRecord record, IProviderBatchClient client, List<BatchItemResult> results)
    {
        if (results.Count == 0) return;
        var indexes = results.TrueForAll(r => r.Position is not null)
            ? new long?[results.Count]
            : await store.IndexesAsync(jobId, [.. results.Select(r => r.CustomId)]);
        var completions = new List<ItemCompletion>(results.Count);
        for (var i = 0; i < results.Count; i++)
        {
            // A custom_id this batch did not carry is ignored: a result only lands on the item that was sent.
            var index = results[i].Position is { } position ? record.Start + position : indexes[i] ?? -1;
            if (index < record.Start || index >= record.End) continue;
            var item = (await store.ItemsAsync(jobId, index, 1))[0];
            if (item is null) continue;
            var r = client.ForItem(item, results[i]);
            var usage = r.Usage ?? TokenUsage.None;
            var cost = usage.TotalTokens > 0 ? prices.Find(item.Model)?.CostPico(usage, batch: true) ?? 0 : 0;
            var attempts = Attempt(record.SubmittedAtMs, r.StatusCode, r.Succeeded ? ProviderOutcome.Success.Name() : ProviderOutcome.Permanent.Name(), r.Error?.Code, record.BatchId);
            var json = ResultJson.Write(item, r.Succeeded, r.Body, r.Error, attempts, usage, cost);
            completions.Add(new ItemCompletion(jobId, index, r.Succeeded, json, usage, cost));
        }
        if (completions.Count > 0) await queue.CompleteAsync(jobId, completions);
    }

    private async Task SubmitAsync(
        string jobId, string requestedMode, string dispatch, long total, long cursor, int chunk, long nextSubmitMs, long expiresAt,
        List<ProviderBatchRecord> records, CancellationToken cancellationToken)
    {
        if (cursor >= total || nextSubmitMs > NowMs) return;
        var o = options.Value;
        var inFlight = records.Where(r => r.State == ProviderBatchStates.Submitted).Sum(r => r.EstimatedTokens);
        while (cursor < total)
        {
            var window = (int)Math.Min(o.MaxItemsPerProviderBatch, total - cursor);
            var items = await store.ItemsAsync(jobId, cursor, window);
            var provider = items.FirstOrDefault(i => i is not null)?.Provider;
            if (provider is null)
            {
                await store.SkipAsync(jobId, cursor += window); // staged items gone: nothing to send
                continue;
            }
            var type = providers.TypeOf(provider);
            if (!ProviderBatchClients.Supports(type))
            {
                var run = items.TakeWhile(i => i?.Provider == provider).Count();
                await FailAsync(jobId, [.. Enumerable.Range(0, run).Select(i => cursor + i)],
                    new ItemError("batch_not_supported", $"Provider '{provider}' (type {type}) has no batch API in this build; submit this item in fast mode."), NowMs, null);
                await store.SkipAsync(jobId, cursor += run);
                continue;
            }
            var client = clients.Get(provider);
            var limit = dispatch == Dispatches.Waves ? providers.Providers[provider].Limits.EnqueuedTokens : 0;

            // The chunk: one provider, within the provider's request and byte limits, and (waves) under the enqueued-token limit.
            var taken = new List<StoredItem>();
            long tokens = 0, bytes = 0;
            foreach (var item in items)
            {
                if (item is null || item.Provider != provider || taken.Count >= client.Limits.MaxRequests) break;
                if (type == ProviderTypes.Gemini && taken.Count > 0 && item.Model != taken[0].Model) break; // a Gemini batch runs one model
                var size = item.Body.GetRawText().Length + item.CustomId.Length + 64;
                if (bytes + size > client.Limits.MaxBytes) break;
                var estimate = planner.EstimateInputTokens(item);
                if (limit > 0 && inFlight + tokens + estimate > limit) break;
                taken.Add(item);
                tokens += estimate;
                bytes += size;
            }
            if (taken.Count == 0)
            {
                if (limit > 0 && inFlight == 0)
                {
                    // Nothing in flight and still no room: this item alone is over the provider's limit.
                    await FailAsync(jobId, [cursor], new ItemError("exceeds_enqueued_token_limit",
                        $"This item's estimated {planner.EstimateInputTokens(items[0]!)} prompt tokens exceed provider '{provider}''s enqueued-token limit ({limit}, Limits:EnqueuedTokens)."), NowMs, null);
                    await store.SkipAsync(jobId, ++cursor);
                    continue;
                }
                return; // waves: the next wave goes when earlier batches finish
            }

            var submitted = await client.SubmitAsync(jobId, chunk, taken, cancellationToken);
            if (submitted.Refusal is { } refusal)
            {
                await RefusedAsync(jobId, requestedMode, chunk, cursor, taken.Count, expiresAt, refusal);
                return;
            }
            var now = NowMs;
            var record = new ProviderBatchRecord
            {
                Chunk = chunk,
                Start = cursor,
                End = cursor + taken.Count,
                Provider = provider,
                BatchId = submitted.BatchId,
                State = ProviderBatchStates.Submitted,
                EstimatedTokens = tokens,
                SubmittedAtMs = now,
                NextPollAtMs = now + (long)o.MinPollInterval.TotalMilliseconds,
                PollIntervalMs = (long)o.MinPollInterval.TotalMilliseconds,
            };
            await store.SaveAsync(jobId, record, advanceCursor: true);
            logger.LogInformation("Submitted provider batch {BatchId} of job {JobId}: items {Start}..{End}, ~{Tokens} prompt tokens", record.BatchId, jobId, record.Start, record.End - 1, tokens);
            inFlight += tokens;
            cursor = record.End;
            chunk++;
        }
    }

    private async Task RefusedAsync(string jobId, string requestedMode, int chunk, long cursor, int count, long expiresAt, BatchRefusal refusal)
    {
        var o = options.Value;
        var nothingSubmitted = chunk == 0;
        // auto falls back to fast when the batch API is closed to us, or when waiting for it would miss the deadline.
        var deadlineNeedsIt = expiresAt > 0 && expiresAt * 1000 - NowMs < (long)o.BatchTurnaround.TotalMilliseconds;
        if (requestedMode == "auto" && nothingSubmitted && (refusal.Kind == BatchRefusalKind.NotEnabled || (refusal.Kind == BatchRefusalKind.TryLater && deadlineNeedsIt)))
        {
            var reason = $"auto fell back to fast: the provider refused the batch ({refusal.StatusCode} {refusal.Error.Code}: {refusal.Error.Message})";
            if (await store.FallBackToFastAsync(jobId, reason)) logger.LogWarning("Job {JobId}: {Reason}", jobId, reason);
            return;
        }
        if (refusal.Kind == BatchRefusalKind.TryLater)
        {
            await store.SetNextSubmitAsync(jobId, NowMs + (long)o.SubmitRetryDelay.TotalMilliseconds);
            logger.LogWarning("Job {JobId}: provider batch refused for now ({Code}); retrying in {Delay}", jobId, refusal.Error.Code, o.SubmitRetryDelay);
            return;
        }
        // Rejected (or not enabled for a job that asked for economy itself): these items cannot run as a provider batch.
        var code = refusal.Kind == BatchRefusalKind.NotEnabled ? "batch_not_enabled" : refusal.Error.Code;
        var error = new ItemError(code, $"The provider refused the batch ({refusal.StatusCode}): {refusal.Error.Message}");
        var indexes = Enumerable.Range(0, count).Select(i => cursor + i).ToList();
        for (var i = 0; i < indexes.Count; i += RecordPage) await FailAsync(jobId, indexes.Skip(i).Take(RecordPage).ToList(), error, NowMs, null);
        await store.SkipAsync(jobId, cursor + count);
    }

    private async Task FailAsync(string jobId, List<long> indexes, ItemError error, long startedMs, string? batchId)
    {
        var completions = new List<ItemCompletion>(indexes.Count);
        foreach (var index in indexes)
        {
            var item = (await store.ItemsAsync(jobId, index, 1))[0];
            if (item is null) continue;
            var json = ResultJson.Write(item, false, null, error, Attempt(startedMs, null, ProviderOutcome.Permanent.Name(), error.Code, batchId), TokenUsage.None, 0);
            completions.Add(new ItemCompletion(jobId, index, false, json, TokenUsage.None, 0));
        }
        if (completions.Count > 0) await queue.CompleteAsync(jobId, completions);
    }

    private List<AttemptRecord> Attempt(long startedMs, int? status, string outcome, string? errorCode, string? batchId) =>
    [
        new AttemptRecord
        {
            Attempt = 1,
            StartedAt = startedMs,
            LatencyMs = Math.Max(0, NowMs - startedMs),
            StatusCode = status,
            Outcome = outcome,
            ErrorCode = errorCode,
            ProviderBatchId = batchId,
        },
    ];
}
