namespace BatchAspire.FakeProvider;

// Shapes of Anthropic's Messages API, serialized snake_case by FakeProviderJson.

internal sealed record AnthropicErrorBody(string Type, AnthropicError Error, string RequestId);

internal sealed record AnthropicError(string Type, string Message);

internal sealed record AnthropicMessage(
    string Id,
    string Type,
    string Role,
    string Model,
    IReadOnlyList<AnthropicTextBlock> Content,
    string StopReason,
    string? StopSequence,
    AnthropicUsage Usage);

internal sealed record AnthropicTextBlock(string Type, string Text);

/// <summary><c>input_tokens</c> excludes the cache reads and writes, as Anthropic reports them.</summary>
internal sealed record AnthropicUsage(
    long InputTokens,
    long CacheCreationInputTokens,
    long CacheReadInputTokens,
    long OutputTokens,
    string ServiceTier);
