namespace BatchAspire.Core.Jobs;

/// <summary>A validated job, ready to be stored.</summary>
public sealed record NewJob(
    string Id,
    string Tenant,
    string Mode,
    string? Model,
    IReadOnlyList<StoredItem> Items,
    IReadOnlyDictionary<string, string>? Metadata,
    long? BudgetPico = null)
{
    public static string NewId() => "job_" + Guid.CreateVersion7().ToString("N");
}
