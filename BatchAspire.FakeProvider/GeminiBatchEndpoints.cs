using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Gemini batch mode with inline requests, on top of <see cref="BatchSimulation"/>:
/// <c>POST /v1beta/models/{model}:batchGenerateContent</c> (<c>{"batch":{"display_name","input_config":{"requests":{"requests":[{"request","metadata":{"key"}}]}}}}</c>,
/// snake_case or camelCase) answers an operation <c>{"name":"batches/{id}","metadata":{"@type",…,"state"},"done"}</c>;
/// <c>GET /v1beta/batches/{id}</c> shows it with <c>metadata.state</c> <c>BATCH_STATE_PENDING|RUNNING|SUCCEEDED|CANCELLED|EXPIRED</c>
/// and, once succeeded, <c>response.inlinedResponses.inlinedResponses[]</c> in request order (item errors as
/// <c>{"error":{"code":500,"message","status":"INTERNAL"}}</c>); <c>POST /v1beta/batches/{id}:cancel</c> cancels it.
/// A batch over the enqueued-token limit is refused with 429 <c>RESOURCE_EXHAUSTED</c>.
/// </summary>
internal static class GeminiBatchEndpoints
{
    private const string Endpoint = ":batchGenerateContent";
    private const string TypePrefix = "type.googleapis.com/google.ai.generativelanguage.v1main.";

    public static IEndpointRouteBuilder MapGeminiBatchEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1beta").WithTags("Gemini batches");
        group.MapPost("/models/{model}:batchGenerateContent", CreateAsync);
        group.MapGet("/batches/{id}", (HttpContext context, string id, BatchSimulation batches) =>
            Refuse(context, batches) ?? (Find(batches, id) is { } batch ? Json(Render(batch)) : NotFound(id)));
        group.MapPost("/batches/{id}:cancel", (HttpContext context, string id, BatchSimulation batches) =>
        {
            if (Refuse(context, batches) is { } refused) return refused;
            if (Find(batches, id) is not { } batch) return NotFound(id);
            batches.Cancel(batch);
            return Json(new JsonObject());
        });
        return routes;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, string model, BatchSimulation batches)
    {
        if (Refuse(context, batches) is { } refused) return refused;
        if (batches.Settings.BatchesDisabled) return Error(StatusCodes.Status403Forbidden, "PERMISSION_DENIED", "Batch mode is not enabled for this project.");
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var requests = Field(Field(Field(Field(body.RootElement, "batch"), "input_config", "inputConfig"), "requests"), "requests");
        if (requests.ValueKind != JsonValueKind.Array || requests.GetArrayLength() == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "INVALID_ARGUMENT", "batch.input_config.requests.requests must be a non-empty list (this fake takes inline requests only).");
        }
        var lines = new List<BatchLine>();
        long tokens = 0;
        var index = 0;
        foreach (var entry in requests.EnumerateArray())
        {
            var request = Field(entry, "request");
            var key = Field(Field(entry, "metadata"), "key") is { ValueKind: JsonValueKind.String } k ? k.GetString()! : index.ToString(CultureInfo.InvariantCulture);
            ProviderWork work;
            try
            {
                work = GeminiGenerateContent.Parse(request, model, batches.Options);
            }
            catch (InvalidProviderRequestException ex)
            {
                return Error(StatusCodes.Status400BadRequest, "INVALID_ARGUMENT", $"batch.input_config.requests.requests[{index}].request: {ex.Message}");
            }
            lines.Add(new BatchLine(key, work.Model, work.PromptTokens, work.CompletionTokens, "Fake batch reply to " + key));
            tokens += work.PromptTokens;
            index++;
        }
        var displayName = Field(Field(body.RootElement, "batch"), "display_name", "displayName") is { ValueKind: JsonValueKind.String } d ? d.GetString() : null;
        var batch = batches.Create(displayName ?? "", Endpoint, lines, tokens);
        if (batch.Status == "failed") return Error(StatusCodes.Status429TooManyRequests, "RESOURCE_EXHAUSTED", batch.Error?.Message ?? "Too many enqueued batch tokens.");
        return Json(Render(batch));
    }

    private static FakeBatch? Find(BatchSimulation batches, string id) => batches.Find(id) is { Endpoint: Endpoint } batch ? batch : null;

    private static string State(FakeBatch b) => b.Status switch
    {
        "validating" => "BATCH_STATE_PENDING",
        "in_progress" => "BATCH_STATE_RUNNING",
        "completed" => "BATCH_STATE_SUCCEEDED",
        "cancelled" => "BATCH_STATE_CANCELLED",
        "expired" => "BATCH_STATE_EXPIRED",
        _ => "BATCH_STATE_FAILED",
    };

    private static JsonObject Render(FakeBatch b)
    {
        var done = b.Status is not ("validating" or "in_progress");
        var model = "models/" + (b.Lines.Count > 0 ? b.Lines[0].Model : "");
        var stats = new JsonObject
        {
            ["requestCount"] = b.Lines.Count.ToString(CultureInfo.InvariantCulture),
            ["successfulRequestCount"] = b.Completed.ToString(CultureInfo.InvariantCulture),
            ["failedRequestCount"] = b.Failed.ToString(CultureInfo.InvariantCulture),
            ["pendingRequestCount"] = (done ? 0 : b.Lines.Count).ToString(CultureInfo.InvariantCulture),
        };
        var metadata = new JsonObject
        {
            ["@type"] = TypePrefix + "GenerateContentBatch",
            ["model"] = model,
            ["displayName"] = b.InputFileId,
            ["createTime"] = Rfc3339(b.CreatedAt),
            ["updateTime"] = Rfc3339(b.CompletedAt ?? b.CancelledAt ?? b.ExpiredAt ?? b.CreatedAt),
            ["batchStats"] = stats,
            ["state"] = State(b),
            ["name"] = "batches/" + b.Id,
        };
        var operation = new JsonObject { ["name"] = "batches/" + b.Id, ["metadata"] = metadata, ["done"] = done };
        if (b.Status == "completed" && b.Outcomes is { } outcomes)
        {
            var responses = new JsonArray();
            for (var i = 0; i < b.Lines.Count; i++)
            {
                var line = b.Lines[i];
                var entry = new JsonObject { ["metadata"] = new JsonObject { ["key"] = line.CustomId } };
                if (outcomes[i])
                {
                    entry["response"] = JsonSerializer.SerializeToNode(new GeminiResponse(
                        [new GeminiCandidate(new GeminiContent([new GeminiPart(line.Reply)], "model"), "STOP", 0)],
                        new GeminiUsageMetadata(line.PromptTokens, line.CompletionTokens, line.PromptTokens + line.CompletionTokens, null, null, [new GeminiModalityTokenCount("TEXT", line.PromptTokens)]),
                        line.Model,
                        OpenAIRequestFields.NewId("")[..22]), GeminiDialect.Json);
                }
                else
                {
                    entry["error"] = new JsonObject { ["code"] = 500, ["message"] = "Internal error encountered.", ["status"] = "INTERNAL" };
                }
                responses.Add(entry);
            }
            operation["response"] = new JsonObject
            {
                ["@type"] = TypePrefix + "GenerateContentBatchOutput",
                ["inlinedResponses"] = new JsonObject { ["inlinedResponses"] = responses },
            };
        }
        return operation;
    }

    private static JsonElement Field(JsonElement e, params string[] names)
    {
        if (e.ValueKind != JsonValueKind.Object) return default;
        foreach (var name in names)
        {
            if (e.TryGetProperty(name, out var v)) return v;
        }
        return default;
    }

    private static string Rfc3339(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static IResult? Refuse(HttpContext context, BatchSimulation batches)
    {
        var key = batches.Options.ApiKey;
        if (string.IsNullOrEmpty(key)) return null;
        var given = context.Request.Headers["x-goog-api-key"].ToString();
        if (string.IsNullOrEmpty(given)) given = context.Request.Query["key"].ToString();
        return given == key ? null : Error(StatusCodes.Status400BadRequest, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
    }

    private static IResult NotFound(string id) => Error(StatusCodes.Status404NotFound, "NOT_FOUND", $"Batch batches/{id} not found.");

    private static IResult Json(JsonNode body) => Results.Json(body, GeminiDialect.Json);

    private static IResult Error(int status, string grpcStatus, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = grpcStatus } }, GeminiDialect.Json, statusCode: status);
}
