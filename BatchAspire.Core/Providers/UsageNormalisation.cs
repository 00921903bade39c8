using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Providers;

/// <summary>
/// Each provider's usage report, normalised into <see cref="TokenUsage"/>:
/// <list type="bullet">
/// <item>OpenAI (chat, embeddings, Responses): <c>prompt_tokens</c>/<c>input_tokens</c> already include
/// <c>*_tokens_details.cached_tokens</c>, and <c>completion_tokens</c>/<c>output_tokens</c> include
/// <c>*_tokens_details.reasoning_tokens</c>: taken as they are.</item>
/// <item>Anthropic: <c>input_tokens</c> excludes <c>cache_read_input_tokens</c> and
/// <c>cache_creation_input_tokens</c>: InputTokens is the sum of the three. <c>output_tokens</c> includes
/// extended thinking, which Anthropic does not report apart (ReasoningTokens stays 0).</item>
/// <item>Gemini: <c>promptTokenCount</c> includes <c>cachedContentTokenCount</c>; <c>candidatesTokenCount</c>
/// excludes <c>thoughtsTokenCount</c>, which is billed as output: OutputTokens is their sum.</item>
/// </list>
/// </summary>
public static class UsageNormalisation
{
    public static TokenUsage? FromOpenAI(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return null;
        var input = Long(usage, "prompt_tokens") + Long(usage, "input_tokens");
        var output = Long(usage, "completion_tokens") + Long(usage, "output_tokens");
        var cached = Long(usage, "prompt_tokens_details", "cached_tokens") + Long(usage, "input_tokens_details", "cached_tokens");
        var reasoning = Long(usage, "completion_tokens_details", "reasoning_tokens") + Long(usage, "output_tokens_details", "reasoning_tokens");
        return new TokenUsage(input, output, cached, 0, reasoning);
    }

    public static TokenUsage? FromAnthropic(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return null;
        var read = Long(usage, "cache_read_input_tokens");
        var write = Long(usage, "cache_creation_input_tokens");
        return new TokenUsage(Long(usage, "input_tokens") + read + write, Long(usage, "output_tokens"), read, write, 0);
    }

    public static TokenUsage? FromGemini(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return null;
        var thoughts = Long(usage, "thoughtsTokenCount");
        return new TokenUsage(
            Long(usage, "promptTokenCount") + Long(usage, "toolUsePromptTokenCount"),
            Long(usage, "candidatesTokenCount") + thoughts,
            Long(usage, "cachedContentTokenCount"), 0, thoughts);
    }

    private static long Long(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static long Long(JsonElement o, string parent, string name) =>
        o.TryGetProperty(parent, out var p) && p.ValueKind == JsonValueKind.Object ? Long(p, name) : 0;
}
