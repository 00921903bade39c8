using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchAspire.FakeProvider;

/// <summary>The one serializer setup of the fake: snake_case, nulls written (OpenAI sends <c>"param": null</c>).</summary>
internal static class FakeProviderJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // An API, not HTML: write apostrophes and the like as they are, as OpenAI does.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
