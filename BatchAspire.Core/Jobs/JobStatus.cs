namespace BatchAspire.Core.Jobs;

/// <summary>Job status, in the OpenAI Batch API vocabulary.</summary>
public static class JobStatus
{
    public const string Validating = "validating";
    public const string InProgress = "in_progress";
    public const string Finalizing = "finalizing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelling = "cancelling";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";

    public static bool IsTerminal(string status) =>
        status is Completed or Failed or Cancelled or Expired;
}
