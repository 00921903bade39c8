using System.Buffers;
using System.Text.Json;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Queue;

/// <summary>
/// Writes an item's result line (the native NDJSON results format). The provider body is embedded
/// verbatim, never re-serialized, so what the provider said is what the user reads.
/// </summary>
public static class ResultJson
{
    public static byte[] Write(
        StoredItem item, bool succeeded, byte[]? response, ItemError? error,
        IReadOnlyList<AttemptRecord> attempts, TokenUsage usage, long costPico)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (response?.Length ?? 0));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("custom_id", item.CustomId);
            w.WriteString("status", succeeded ? ItemStatus.Succeeded : ItemStatus.Failed);
            w.WriteString("provider", item.Provider);
            w.WriteString("model", item.Model);
            w.WritePropertyName("response");
            if (succeeded && response is { Length: > 0 } && IsJson(response)) w.WriteRawValue(response, skipInputValidation: true);
            else w.WriteNullValue();
            w.WritePropertyName("error");
            if (error is null) w.WriteNullValue();
            else
            {
                w.WriteStartObject();
                w.WriteString("code", error.Code);
                w.WriteString("message", error.Message);
                w.WriteEndObject();
            }
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", usage.InputTokens);
            w.WriteNumber("output_tokens", usage.OutputTokens);
            w.WriteNumber("cached_input_tokens", usage.CachedInputTokens);
            w.WriteNumber("cache_write_tokens", usage.CacheWriteTokens);
            w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
            w.WriteEndObject();
            w.WriteNumber("cost_usd", Money.ToUsd(costPico));
            w.WritePropertyName("attempts");
            JsonSerializer.Serialize(w, attempts, BatchJson.Options);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static bool IsJson(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
