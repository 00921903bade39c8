using System.Text;
using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>
/// Anthropic's Message Batches API on top of <see cref="BatchSimulation"/> (turnaround, item errors, expiry,
/// cancel, enqueued-token limit): <c>POST /v1/messages/batches</c>, <c>GET /v1/messages/batches/{id}</c>
/// (<c>processing_status</c> <c>in_progress|ended</c>), <c>GET /v1/messages/batches/{id}/results</c> (JSONL, every
/// request listed: <c>succeeded</c>, <c>errored</c>, <c>canceled</c> or <c>expired</c>) and
/// <c>POST /v1/messages/batches/{id}/cancel</c> (ends the batch at once: its requests are <c>canceled</c>).
/// A batch over the enqueued-token limit is refused with 429 <c>rate_limit_error</c>.
/// </summary>
internal static class AnthropicBatchEndpoints
{
    public static IEndpointRouteBuilder MapAnthropicBatchEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/messages/batches").WithTags("Anthropic batches");
        group.MapPost("", CreateAsync);
        group.MapGet("/{id}", (HttpContext context, string id, BatchSimulation batches) =>
            Refuse(context, batches) ?? (Find(batches, id) is { } batch ? Json(Render(context, batch)) : NotFound(id)));
        group.MapGet("/{id}/results", (HttpContext context, string id, BatchSimulation batches) =>
        {
            if (Refuse(context, batches) is { } refused) return refused;
            if (Find(batches, id) is not { } batch) return NotFound(id);
            if (ProcessingStatus(batch) != "ended") return Error(StatusCodes.Status400BadRequest, "invalid_request_error", $"Message batch {id} has not ended yet.");
            return Results.Bytes(Encoding.UTF8.GetBytes(ResultLines(batch)), "application/binary");
        });
        group.MapPost("/{id}/cancel", (HttpContext context, string id, BatchSimulation batches) =>
        {
            if (Refuse(context, batches) is { } refused) return refused;
            if (Find(batches, id) is not { } batch) return NotFound(id);
            batches.Cancel(batch);
            return Json(Render(context, batch));
        });
        return routes;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, BatchSimulation batches)
    {
        if (Refuse(context, batches) is { } refused) return refused;
        if (batches.Settings.BatchesDisabled)
        {
            return Error(StatusCodes.Status403Forbidden, "permission_error", "Your organization does not have access to the Message Batches API.");
        }
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        if (!body.RootElement.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Array || requests.GetArrayLength() == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_request_error", "requests: Field required (a non-empty list)");
        }
        var lines = new List<BatchLine>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long tokens = 0;
        var index = 0;
        foreach (var request in requests.EnumerateArray())
        {
            var customId = request.TryGetProperty("custom_id", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
            if (customId.Length is 0 or > 64 || !customId.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
            {
                return Error(StatusCodes.Status400BadRequest, "invalid_request_error", $"requests.{index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'");
            }
            if (!ids.Add(customId)) return Error(StatusCodes.Status400BadRequest, "invalid_request_error", $"requests.{index}.custom_id: duplicate custom_id '{customId}'");
            if (!request.TryGetProperty("params", out var parameters)) return Error(StatusCodes.Status400BadRequest, "invalid_request_error", $"requests.{index}.params: Field required");
            ProviderWork work;
            try
            {
                work = AnthropicMessages.Parse(parameters, context.Request, batches.Options);
            }
            catch (InvalidProviderRequestException ex)
            {
                return Error(StatusCodes.Status400BadRequest, "invalid_request_error", $"requests.{index}.params.{ex.Message}");
            }
            lines.Add(new BatchLine(customId, work.Model, work.PromptTokens, work.CompletionTokens, "Fake batch reply to " + customId));
            tokens += work.PromptTokens;
            index++;
        }
        var batch = batches.Create("", "/v1/messages", lines, tokens);
        if (batch.Status == "failed")
        {
            return Error(StatusCodes.Status429TooManyRequests, "rate_limit_error", batch.Error?.Message ?? "Too many enqueued batch requests.");
        }
        return Json(Render(context, batch));
    }

    private static FakeBatch? Find(BatchSimulation batches, string id) =>
        batches.Find(id) is { Endpoint: "/v1/messages" } batch ? batch : null;

    /// <summary>The fake ends a cancelled batch at once, so Anthropic's <c>canceling</c> is never seen.</summary>
    private static string ProcessingStatus(FakeBatch batch) => batch.Status is "in_progress" or "validating" ? "in_progress" : "ended";

    private static object Render(HttpContext context, FakeBatch b)
    {
        var ended = ProcessingStatus(b) == "ended";
        var counts = b.Status switch
        {
            "completed" => new { processing = 0, succeeded = b.Completed, errored = b.Failed, canceled = 0, expired = 0 },
            "cancelled" => new { processing = 0, succeeded = 0, errored = 0, canceled = b.Lines.Count, expired = 0 },
            "expired" => new { processing = 0, succeeded = 0, errored = 0, canceled = 0, expired = b.Lines.Count },
            _ => new { processing = b.Lines.Count, succeeded = 0, errored = 0, canceled = 0, expired = 0 },
        };
        var request = context.Request;
        return new
        {
            id = b.Id,
            type = "message_batch",
            processing_status = ProcessingStatus(b),
            request_counts = counts,
            ended_at = ended ? Rfc3339(b.CompletedAt ?? b.CancelledAt ?? b.ExpiredAt ?? b.CreatedAt) : null,
            created_at = Rfc3339(b.CreatedAt),
            expires_at = Rfc3339(b.CreatedAt + 86_400),
            archived_at = (string?)null,
            cancel_initiated_at = b.CancelledAt is { } cancelled ? Rfc3339(cancelled) : null,
            results_url = ended ? $"{request.Scheme}://{request.Host}/v1/messages/batches/{b.Id}/results" : null,
        };
    }

    private static string ResultLines(FakeBatch b)
    {
        var output = new StringBuilder();
        for (var i = 0; i < b.Lines.Count; i++)
        {
            var line = b.Lines[i];
            object result = b.Status switch
            {
                "cancelled" => new { type = "canceled" },
                "expired" => new { type = "expired" },
                _ when b.Outcomes is { } outcomes && outcomes[i] => new
                {
                    type = "succeeded",
                    message = new AnthropicMessage(
                        OpenAIRequestFields.NewId("msg_"), "message", "assistant", line.Model, [new AnthropicTextBlock("text", line.Reply)],
                        "end_turn", null, new AnthropicUsage(line.PromptTokens, 0, 0, line.CompletionTokens, "batch")),
                },
                _ => new { type = "errored", error = new AnthropicErrorBody("error", new AnthropicError("api_error", "Internal server error"), OpenAIRequestFields.NewId("req_")) },
            };
            output.Append(JsonSerializer.Serialize(new { custom_id = line.CustomId, result }, FakeProviderJson.Options)).Append('\n');
        }
        return output.ToString();
    }

    private static string Rfc3339(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static IResult? Refuse(HttpContext context, BatchSimulation batches)
    {
        var key = batches.Options.ApiKey;
        var given = context.Request.Headers["x-api-key"].ToString();
        if (string.IsNullOrEmpty(given) && !string.IsNullOrEmpty(key)) return Error(StatusCodes.Status401Unauthorized, "authentication_error", "x-api-key header is required");
        if (!string.IsNullOrEmpty(key) && given != key) return Error(StatusCodes.Status401Unauthorized, "authentication_error", "invalid x-api-key");
        return string.IsNullOrEmpty(context.Request.Headers["anthropic-version"].ToString())
            ? Error(StatusCodes.Status400BadRequest, "invalid_request_error", "anthropic-version: header is required")
            : null;
    }

    private static IResult NotFound(string id) => Error(StatusCodes.Status404NotFound, "not_found_error", $"Message batch {id} not found.");

    private static IResult Json(object body) => Results.Json(body, FakeProviderJson.Options);

    private static IResult Error(int status, string type, string message) =>
        Results.Json(new AnthropicErrorBody("error", new AnthropicError(type, message), OpenAIRequestFields.NewId("req_")), FakeProviderJson.Options, statusCode: status);
}
