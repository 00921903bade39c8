using BatchAspire.Core.Files;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Api.V1;

/// <summary>OpenAI's File object. <c>status</c> and <c>status_details</c> are deprecated upstream but still sent.</summary>
public sealed record FileObject(string Id, long Bytes, long CreatedAt, long? ExpiresAt, string Filename, string Purpose)
{
    public string Object => "file";
    public string Status => "processed";
    public string? StatusDetails => null;

    public static FileObject From(StoredFile file) => new(file.Id, file.Bytes, file.CreatedAt, file.ExpiresAt, file.Filename, file.Purpose);
}

public sealed record FileDeleted(string Id, bool Deleted)
{
    public string Object => "file";
}

/// <summary>OpenAI's cursor page: <c>{"object":"list","data","first_id","last_id","has_more"}</c>.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Data, string? FirstId, string? LastId, bool HasMore)
{
    public string Object => "list";
}

/// <summary>
/// OpenAI's Batch object, rendered from the job that runs it: same fields, types and nullability, so strict
/// clients deserialize it. Timestamps are unix seconds; absent ones are null.
/// </summary>
public sealed record BatchObject
{
    public required string Id { get; init; }
    public string Object => "batch";
    public required string Endpoint { get; init; }
    public BatchErrors? Errors { get; init; }
    public required string InputFileId { get; init; }
    public required string CompletionWindow { get; init; }
    public required string Status { get; init; }
    public string? OutputFileId { get; init; }
    public string? ErrorFileId { get; init; }
    public required long CreatedAt { get; init; }
    public long? InProgressAt { get; init; }
    public long? ExpiresAt { get; init; }
    public long? FinalizingAt { get; init; }
    public long? CompletedAt { get; init; }
    public long? FailedAt { get; init; }
    public long? ExpiredAt { get; init; }
    public long? CancellingAt { get; init; }
    public long? CancelledAt { get; init; }
    public required BatchRequestCounts RequestCounts { get; init; }
    public string? Model { get; init; }
    public required BatchUsage Usage { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }

    public static BatchObject From(Job job) => new()
    {
        Id = BatchIds.FromJobId(job.Id),
        Endpoint = job.Endpoint ?? JobSubmission.DefaultUrl,
        Errors = job.Errors is { Count: > 0 } errors ? new BatchErrors(errors) : null,
        InputFileId = job.InputFileId ?? "",
        CompletionWindow = job.CompletionWindow ?? "24h",
        Status = job.Status,
        OutputFileId = BatchOutputFiles.HasOutput(job) ? BatchOutputFiles.OutputId(job.Id) : null,
        ErrorFileId = BatchOutputFiles.HasErrors(job) ? BatchOutputFiles.ErrorId(job.Id) : null,
        CreatedAt = job.CreatedAt,
        InProgressAt = job.InProgressAt,
        ExpiresAt = job.ExpiresAt,
        FinalizingAt = job.FinalizingAt,
        CompletedAt = job.CompletedAt,
        FailedAt = job.FailedAt,
        ExpiredAt = job.ExpiredAt,
        CancellingAt = job.CancellingAt,
        CancelledAt = job.CancelledAt,
        RequestCounts = new BatchRequestCounts(job.Counts.Total, job.Counts.Completed, job.Counts.Failed),
        Model = job.Model,
        Usage = new BatchUsage(job.Usage.InputTokens, new InputTokensDetails(0), job.Usage.OutputTokens, new OutputTokensDetails(0), job.Usage.TotalTokens),
        Metadata = job.Metadata,
    };
}

public sealed record BatchErrors(IReadOnlyList<InputLineError> Data)
{
    public string Object => "list";
}

public sealed record BatchRequestCounts(long Total, long Completed, long Failed);

public sealed record BatchUsage(long InputTokens, InputTokensDetails InputTokensDetails, long OutputTokens, OutputTokensDetails OutputTokensDetails, long TotalTokens);
public sealed record InputTokensDetails(long CachedTokens);
public sealed record OutputTokensDetails(long ReasoningTokens);

/// <summary>A batch is a job: <c>batch_&lt;hex&gt;</c> and <c>job_&lt;hex&gt;</c> name the same thing.</summary>
public static class BatchIds
{
    public static string FromJobId(string jobId) => "batch_" + jobId["job_".Length..];

    public static string? ToJobId(string batchId) =>
        batchId.StartsWith("batch_", StringComparison.Ordinal) && JobIdFormat.IsValid("job_" + batchId["batch_".Length..])
            ? "job_" + batchId["batch_".Length..]
            : null;
}
