using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchAspire.Core.Jobs;

/// <summary>A job as clients see it: identity, status, live counts, usage and cost.</summary>
public sealed record Job
{
    public required string Id { get; init; }
    public string Object => "job";
    public required string Status { get; init; }
    public required string Mode { get; init; }
    public string? Model { get; init; }
    public required long CreatedAt { get; init; }
    public long? InProgressAt { get; init; }
    public long? CancellingAt { get; init; }
    public long? CancelledAt { get; init; }
    public long? CompletedAt { get; init; }
    public long? FinishedAt { get; init; }
    public required JobCounts Counts { get; init; }
    public required TokenUsage Usage { get; init; }
    public decimal CostUsd { get; init; }
    public long Retries { get; init; }
    public long RateLimited { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }
    public ItemError? Error { get; init; }

    [JsonIgnore] public string Tenant { get; init; } = "";
}

public sealed record JobCounts(long Total, long Completed, long Failed, long InFlight, long Retrying, long Pending);

/// <summary>Token usage normalised across providers.</summary>
public sealed record TokenUsage(long InputTokens, long OutputTokens)
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
}

public static class ItemStatus
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
