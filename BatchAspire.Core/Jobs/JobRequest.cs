using System.Text.Json;

namespace BatchAspire.Core.Jobs;

/// <summary>The native submission body of <c>POST /api/jobs</c>.</summary>
public sealed class JobRequest
{
    public string? Model { get; set; }
    public string? Mode { get; set; }
    public List<JobItemRequest?>? Items { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
    /// <summary>The job's budget in USD; also accepted as <c>metadata.batchaspire_max_cost_usd</c>.</summary>
    public decimal? MaxCostUsd { get; set; }
    /// <summary>The deadline, e.g. <c>24h</c> (the Batch API grammar); past it unfinished items expire. Auto weighs it against batch turnaround.</summary>
    public string? CompletionWindow { get; set; }
}

public sealed class JobItemRequest
{
    public string? CustomId { get; set; }
    /// <summary>The provider endpoint, OpenAI-style (default <c>/v1/chat/completions</c>).</summary>
    public string? Url { get; set; }
    public JsonElement? Body { get; set; }
}

/// <summary>An error in the OpenAI shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
public sealed record BatchError(string Message, string Type, string? Param, string? Code)
{
    public static BatchError Invalid(string message, string? param, string code) => new(message, "invalid_request_error", param, code);
    public static BatchError NotFound(string what, string id) => new($"No {what} found with id '{id}'.", "invalid_request_error", "id", "not_found");
}

public sealed record BatchErrorBody(BatchError Error);
