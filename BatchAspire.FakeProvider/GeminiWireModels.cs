namespace BatchAspire.FakeProvider;

// Shapes of Gemini's generateContent, serialized camelCase (nulls omitted) by GeminiDialect.Json.

internal sealed record GeminiResponse(
    IReadOnlyList<GeminiCandidate> Candidates,
    GeminiUsageMetadata UsageMetadata,
    string ModelVersion,
    string ResponseId);

internal sealed record GeminiCandidate(GeminiContent Content, string FinishReason, int Index);

internal sealed record GeminiContent(IReadOnlyList<GeminiPart> Parts, string Role);

internal sealed record GeminiPart(string Text);

/// <summary><c>promptTokenCount</c> includes <c>cachedContentTokenCount</c>; <c>candidatesTokenCount</c> excludes <c>thoughtsTokenCount</c>.</summary>
internal sealed record GeminiUsageMetadata(
    long PromptTokenCount,
    long CandidatesTokenCount,
    long TotalTokenCount,
    long? CachedContentTokenCount,
    long? ThoughtsTokenCount,
    IReadOnlyList<GeminiModalityTokenCount> PromptTokensDetails);

internal sealed record GeminiModalityTokenCount(string Modality, long TokenCount);
