using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchAspire.Core;

/// <summary>The one JSON setup of the system: snake_case on the wire, as the OpenAI API speaks.</summary>
public static class BatchJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.NumberHandling = JsonNumberHandling.Strict;
        return options;
    }
}
