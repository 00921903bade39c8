using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>
/// <c>POST /v1/embeddings</c>: input is a string, an array of strings, an array of token ids or an
/// array of such arrays. Prompt tokens are o200k_base tokens of each string (token arrays count their
/// length); vectors are unit-length and a pure function of the input.
/// </summary>
internal static class OpenAIEmbeddings
{
    public static ProviderWork Parse(JsonElement body, FakeProviderOptions options)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidProviderRequestException("The request body must be a JSON object.");
        }

        var model = OpenAIRequestFields.RequiredModel(body);
        if (!body.TryGetProperty("input", out var input))
        {
            throw new InvalidProviderRequestException("Missing required parameter: 'input'.", "input");
        }

        var inputs = ReadInputs(input);
        var dimensions = OpenAIRequestFields.OptionalPositiveInt(body, "dimensions") ?? options.EmbeddingDimensions;
        long promptTokens = inputs.Sum(i => (long)i.Tokens);

        return new ProviderWork(model, promptTokens, promptTokens, CompletionTokens: 0, () => TypedResults.Json(
            new OpenAIEmbeddingList(
                "list",
                [.. inputs.Select((item, index) => new OpenAIEmbedding("embedding", index, Vector(item.Key, dimensions)))],
                model,
                new OpenAIEmbeddingUsage(promptTokens, promptTokens)),
            FakeProviderJson.Options));
    }

    private static List<(string Key, int Tokens)> ReadInputs(JsonElement input)
    {
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                return [Text(input)];
            case JsonValueKind.Array when input.GetArrayLength() > 0:
                var first = input[0];
                if (first.ValueKind == JsonValueKind.Number)
                {
                    return [TokenIds(input)];
                }

                return [.. input.EnumerateArray().Select(item => item.ValueKind switch
                {
                    JsonValueKind.String => Text(item),
                    JsonValueKind.Array => TokenIds(item),
                    _ => throw InvalidInput(),
                })];
            default:
                throw InvalidInput();
        }
    }

    private static (string, int) Text(JsonElement item)
    {
        var text = item.GetString()!;
        if (text.Length == 0)
        {
            throw new InvalidProviderRequestException("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "input");
        }

        return (text, PromptTokenCounter.Count(text));
    }

    private static (string, int) TokenIds(JsonElement array)
    {
        if (array.GetArrayLength() == 0 || array.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.Number))
        {
            throw InvalidInput();
        }

        return (array.GetRawText(), array.GetArrayLength());
    }

    private static InvalidProviderRequestException InvalidInput() =>
        new("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "input");

    /// <summary>A unit vector seeded by an FNV-1a hash of the input, so equal inputs embed equally.</summary>
    private static float[] Vector(string key, int dimensions)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        var random = new Random(unchecked((int)hash));
        var vector = new float[dimensions];
        double norm = 0;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
            norm += vector[i] * vector[i];
        }

        var scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }
}
