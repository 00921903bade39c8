namespace BatchAspire.Core.Batches;

/// <summary>The body of <c>POST /v1/batches</c>, as OpenAI defines it.</summary>
public sealed class BatchRequest
{
    public string? InputFileId { get; set; }
    public string? Endpoint { get; set; }
    public string? CompletionWindow { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
}

/// <summary>
/// BatchAspire's own options ride in <c>metadata</c>, which strict OpenAI clients pass through untouched.
/// </summary>
public static class BatchMetadataKeys
{
    /// <summary>How items reach the provider: <c>fast</c> (default; the only mode this build runs).</summary>
    public const string Mode = "batchaspire_mode";
    /// <summary>A model for every line, replacing each body's <c>model</c>.</summary>
    public const string Model = "batchaspire_model";
    /// <summary>A configured provider name every line is sent to (<c>BatchAspire:Providers:{name}</c>).</summary>
    public const string Provider = "batchaspire_provider";
    /// <summary>A budget in USD (decimal). Recorded with the job; enforced once budgets are implemented.</summary>
    public const string MaxCostUsd = "batchaspire_max_cost_usd";
}
