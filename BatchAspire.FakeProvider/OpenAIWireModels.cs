namespace BatchAspire.FakeProvider;

// Response shapes of the OpenAI API, serialized snake_case by FakeProviderJson.

internal sealed record OpenAIErrorBody(OpenAIError Error);

internal sealed record OpenAIError(string Message, string Type, string? Param, string? Code);

internal sealed record OpenAIChatCompletion(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<OpenAIChatChoice> Choices,
    OpenAIChatUsage Usage,
    string ServiceTier,
    string SystemFingerprint);

internal sealed record OpenAIChatChoice(int Index, OpenAIChatMessage Message, object? Logprobs, string FinishReason);

internal sealed record OpenAIChatMessage(string Role, string Content, string? Refusal, IReadOnlyList<object> Annotations);

internal sealed record OpenAIChatUsage(
    long PromptTokens,
    long CompletionTokens,
    long TotalTokens,
    OpenAIPromptTokensDetails PromptTokensDetails,
    OpenAICompletionTokensDetails CompletionTokensDetails);

internal sealed record OpenAIPromptTokensDetails(long CachedTokens, long AudioTokens);

internal sealed record OpenAICompletionTokensDetails(
    long ReasoningTokens,
    long AudioTokens,
    long AcceptedPredictionTokens,
    long RejectedPredictionTokens);

internal sealed record OpenAIEmbeddingList(string Object, IReadOnlyList<OpenAIEmbedding> Data, string Model, OpenAIEmbeddingUsage Usage);

internal sealed record OpenAIEmbedding(string Object, int Index, float[] Embedding);

internal sealed record OpenAIEmbeddingUsage(long PromptTokens, long TotalTokens);
