namespace BatchAspire.FakeProvider;

/// <summary>
/// A parsed provider request: what it costs at admission and how to answer it if it gets through.
/// Each wire format turns its request body into one of these.
/// </summary>
/// <param name="AdmissionTokens">Charged against TPM at admission: prompt tokens + requested max output tokens.</param>
/// <param name="PromptTokens">Reported in usage and stats.</param>
/// <param name="CompletionTokens">Reported in usage and stats.</param>
/// <param name="Respond">Builds the 200 answer.</param>
internal sealed record ProviderWork(
    string Model,
    long AdmissionTokens,
    long PromptTokens,
    long CompletionTokens,
    Func<IResult> Respond);
