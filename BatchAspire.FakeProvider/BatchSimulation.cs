using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>
/// The provider side of batch APIs: stored input files, batches processed in the background after
/// <see cref="BatchSimulationOptions.BatchTurnaroundMs"/>, per-line errors, expiry, cancel, the enqueued-token
/// limit, and what was seen (peak enqueued tokens, how often each custom_id was answered).
/// </summary>
internal sealed class BatchSimulation(FakeProviderOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeBatch> _batches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _answersPerCustomId = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();
    private long _enqueuedTokens;

    public BatchSimulationOptions Settings => options.Batches;
    public FakeProviderOptions Options => options;

    public long EnqueuedTokens { get { lock (_lock) return _enqueuedTokens; } }
    public long PeakEnqueuedTokens { get; private set; }
    public int BatchesCreated => _batches.Count;
    public int BatchesRefusedForTokens { get; private set; }
    public int BatchesCancelled => _batches.Values.Count(b => b.Status == "cancelled");
    public int MaxAnswersForAnyCustomId => _answersPerCustomId.IsEmpty ? 0 : _answersPerCustomId.Values.Max();
    public IReadOnlyCollection<FakeBatch> Batches => [.. _batches.Values];

    public string AddFile(byte[] content)
    {
        var id = "file-" + Guid.NewGuid().ToString("N")[..24];
        _files[id] = content;
        return id;
    }

    public byte[]? File(string id) => _files.TryGetValue(id, out var content) ? content : null;

    public FakeBatch? Find(string id) => _batches.TryGetValue(id, out var batch) ? batch : null;

    /// <summary>Creates a batch over the lines of a stored file: parsed and counted now, answered after the turnaround.</summary>
    public FakeBatch Create(string inputFileId, string endpoint, IReadOnlyList<BatchLine> lines, long promptTokens)
    {
        var batch = new FakeBatch("batch_" + Guid.NewGuid().ToString("N")[..24], inputFileId, endpoint, lines, promptTokens, time.GetUtcNow().ToUnixTimeSeconds());
        lock (_lock)
        {
            var limit = Settings.EnqueuedTokensLimit;
            if (limit > 0 && _enqueuedTokens + promptTokens > limit)
            {
                BatchesRefusedForTokens++;
                batch.Fail("token_limit_exceeded", $"Enqueued token limit reached for {lines.FirstOrDefault()?.Model}. Limit: {limit} enqueued tokens. Please try again once some in_progress batches have been completed.", time);
            }
            else
            {
                _enqueuedTokens += promptTokens;
                PeakEnqueuedTokens = Math.Max(PeakEnqueuedTokens, _enqueuedTokens);
                batch.Status = "in_progress";
                batch.InProgressAt = batch.CreatedAt;
            }
        }
        _batches[batch.Id] = batch;
        if (batch.Status == "in_progress") _ = ProcessAsync(batch);
        return batch;
    }

    public void Cancel(FakeBatch batch)
    {
        lock (_lock)
        {
            if (batch.Status is not ("in_progress" or "validating")) return;
            batch.Status = "cancelled";
            batch.CancelledAt = time.GetUtcNow().ToUnixTimeSeconds();
            _enqueuedTokens -= batch.PromptTokens;
        }
    }

    private async Task ProcessAsync(FakeBatch batch)
    {
        var turnaround = Settings.BatchTurnaroundMs;
        var expiry = Settings.BatchExpiryMs;
        await Task.Delay(expiry > 0 && expiry < turnaround ? expiry : turnaround);
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var completed = 0;
        var failed = 0;
        lock (_lock)
        {
            if (batch.Status != "in_progress") return;
            _enqueuedTokens -= batch.PromptTokens;
            var now = time.GetUtcNow().ToUnixTimeSeconds();
            if (expiry > 0 && expiry < turnaround)
            {
                batch.Status = "expired";
                batch.ExpiredAt = now;
                return;
            }
            var outcomes = new bool[batch.Lines.Count];
            for (var i = 0; i < batch.Lines.Count; i++)
            {
                var line = batch.Lines[i];
                _answersPerCustomId.AddOrUpdate(line.CustomId, 1, static (_, n) => n + 1);
                if (_random.NextDouble() < Settings.BatchItemErrorRate)
                {
                    failed++;
                    errors.Append(JsonSerializer.Serialize(new
                    {
                        id = "batch_req_" + Guid.NewGuid().ToString("N")[..24],
                        custom_id = line.CustomId,
                        response = new
                        {
                            status_code = 500,
                            request_id = Guid.NewGuid().ToString("N"),
                            body = new { error = new { message = "The server had an error processing your request.", type = "server_error", param = (string?)null, code = "server_error" } },
                        },
                        error = (object?)null,
                    })).Append('\n');
                    continue;
                }
                completed++;
                outcomes[i] = true;
                output.Append(JsonSerializer.Serialize(new
                {
                    id = "batch_req_" + Guid.NewGuid().ToString("N")[..24],
                    custom_id = line.CustomId,
                    response = new { status_code = 200, request_id = Guid.NewGuid().ToString("N"), body = line.Answer(now) },
                    error = (object?)null,
                })).Append('\n');
            }
            batch.OutputFileId = completed > 0 ? AddFile(Encoding.UTF8.GetBytes(output.ToString())) : null;
            batch.ErrorFileId = failed > 0 ? AddFile(Encoding.UTF8.GetBytes(errors.ToString())) : null;
            batch.Outcomes = outcomes;
            batch.Completed = completed;
            batch.Failed = failed;
            batch.Status = "completed";
            batch.CompletedAt = now;
        }
    }
}

/// <summary>One request line of a batch, with what the fake will answer.</summary>
internal sealed record BatchLine(string CustomId, string Model, long PromptTokens, long CompletionTokens, string Reply)
{
    public object Answer(long created) => new
    {
        id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24],
        @object = "chat.completion",
        created,
        model = Model,
        choices = new[] { new { index = 0, message = new { role = "assistant", content = Reply, refusal = (string?)null }, logprobs = (object?)null, finish_reason = "stop" } },
        usage = new { prompt_tokens = PromptTokens, completion_tokens = CompletionTokens, total_tokens = PromptTokens + CompletionTokens },
    };
}

internal sealed class FakeBatch(string id, string inputFileId, string endpoint, IReadOnlyList<BatchLine> lines, long promptTokens, long createdAt)
{
    public string Id { get; } = id;
    public string InputFileId { get; } = inputFileId;
    public string Endpoint { get; } = endpoint;
    public IReadOnlyList<BatchLine> Lines { get; } = lines;
    public long PromptTokens { get; } = promptTokens;
    public long CreatedAt { get; } = createdAt;
    public string Status { get; set; } = "validating";
    public long? InProgressAt { get; set; }
    public long? CompletedAt { get; set; }
    public long? FailedAt { get; set; }
    public long? ExpiredAt { get; set; }
    public long? CancelledAt { get; set; }
    public string? OutputFileId { get; set; }
    public string? ErrorFileId { get; set; }
    public int Completed { get; set; }
    public int Failed { get; set; }
    /// <summary>Per line, once the batch completed: answered (true) or answered with an error; for wire formats that render results themselves.</summary>
    public bool[]? Outcomes { get; set; }
    public (string Code, string Message)? Error { get; private set; }

    public void Fail(string code, string message, TimeProvider time)
    {
        Status = "failed";
        FailedAt = time.GetUtcNow().ToUnixTimeSeconds();
        Error = (code, message);
    }
}
