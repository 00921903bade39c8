using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchAspire.Core.Jobs;

/// <summary>A job as clients see it: identity, status, live counts, usage and cost.</summary>
public sealed record Job
{
    public required string Id { get; init; }
    public string Object => "job";
    public required string Status { get; init; }
    /// <summary>How the job runs: fast, economy or waves (what auto decided, when auto was asked for).</summary>
    public required string Mode { get; init; }
    /// <summary>The mode the client asked for (auto, or the same as <see cref="Mode"/>).</summary>
    public string? RequestedMode { get; init; }
    /// <summary>Why the job runs in <see cref="Mode"/>: the mode's decision, updated on a fallback to fast.</summary>
    public string? ModeReason { get; init; }
    /// <summary>The worst-case cost estimated at submission (prompts as estimated, outputs at their limits), at the mode's prices.</summary>
    public decimal? EstimatedCostUsd { get; init; }
    public string? Model { get; init; }
    public required long CreatedAt { get; init; }
    public long? InProgressAt { get; init; }
    public long? CancellingAt { get; init; }
    public long? CancelledAt { get; init; }
    public long? CompletedAt { get; init; }
    public long? FinalizingAt { get; init; }
    public long? FailedAt { get; init; }
    public long? ExpiredAt { get; init; }
    /// <summary>The deadline (unix s) set by a completion window; past it the job expires.</summary>
    public long? ExpiresAt { get; init; }
    public long? FinishedAt { get; init; }
    public required JobCounts Counts { get; init; }
    public required TokenUsage Usage { get; init; }
    public decimal CostUsd { get; init; }
    /// <summary>The job's budget (<c>max_cost_usd</c>), or null when it has none.</summary>
    public decimal? MaxCostUsd { get; init; }
    public long Retries { get; init; }
    public long RateLimited { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }
    public ItemError? Error { get; init; }

    /// <summary>Why the input was rejected, line by line (a job created from a file that failed validation).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<InputLineError>? Errors { get; init; }

    // Set on jobs created through the OpenAI Batch API (/v1/batches).
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? InputFileId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Endpoint { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? CompletionWindow { get; init; }

    [JsonIgnore] public string Tenant { get; init; } = "";
}

/// <summary>One rejected line of an input file, in the OpenAI batch <c>errors.data[]</c> shape (line is 1-based).</summary>
public sealed record InputLineError(string Code, string Message, string? Param, long? Line);

public sealed record JobCounts(long Total, long Completed, long Failed, long InFlight, long Retrying, long Pending);

/// <summary>
/// Token usage normalised across providers. <see cref="InputTokens"/> is every prompt token, including those
/// read from or written to a prompt cache; <see cref="CachedInputTokens"/> and <see cref="CacheWriteTokens"/>
/// are the parts of it billed at the cache prices. <see cref="OutputTokens"/> is every billed output token,
/// reasoning included; <see cref="ReasoningTokens"/> is the part of it the model spent thinking.
/// How each provider's fields map onto this shape: Providers/UsageNormalisation.cs.
/// </summary>
public sealed record TokenUsage(long InputTokens, long OutputTokens, long CachedInputTokens = 0, long CacheWriteTokens = 0, long ReasoningTokens = 0)
{
    public long TotalTokens => InputTokens + OutputTokens;
    public static readonly TokenUsage None = new(0, 0);
}

/// <summary>An error in the OpenAI shape's inner fields: a stable code and a message for people.</summary>
public sealed record ItemError(string Code, string Message);

/// <summary>One item as stored: the provider request, already resolved to a provider and model.</summary>
public sealed record StoredItem(string CustomId, string Provider, string Model, string Url, JsonElement Body);

/// <summary>One attempt at an item, kept in its result so its timeline can be shown.</summary>
public sealed record AttemptRecord
{
    public int Attempt { get; init; }
    public long StartedAt { get; init; }
    public long LatencyMs { get; init; }
    public long WaitMs { get; init; }
    /// <summary>Of <see cref="WaitMs"/>, the time spent waiting for a rate-limit permit and its send slot.</summary>
    public long RateLimitWaitMs { get; init; }
    public int? StatusCode { get; init; }
    public required string Outcome { get; init; }
    public string? ErrorCode { get; init; }
    /// <summary>The provider batch that carried this attempt (economy and waves modes).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ProviderBatchId { get; init; }
}

public static class ItemStatus
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
