using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>Field readers and ids shared by the OpenAI endpoints, with OpenAI's 400 messages.</summary>
internal static class OpenAIRequestFields
{
    public const string SystemFingerprint = "fp_fakeprovider";

    public static string RequiredModel(JsonElement body)
    {
        if (!body.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(model.GetString()))
        {
            throw new InvalidProviderRequestException("you must provide a model parameter", "model");
        }

        return model.GetString()!;
    }

    /// <summary>An optional integer ≥ 1; absent or null gives null.</summary>
    public static int? OptionalPositiveInt(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            throw new InvalidProviderRequestException($"Invalid type for '{name}': expected an integer.", name);
        }

        if (number < 1)
        {
            throw new InvalidProviderRequestException($"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {number} instead.", name);
        }

        return number;
    }

    /// <summary>An id like OpenAI's: a prefix and 29 random alphanumerics.</summary>
    public static string NewId(string prefix) =>
        prefix + string.Create(29, 0, static (span, _) =>
        {
            const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
            }
        });
}
