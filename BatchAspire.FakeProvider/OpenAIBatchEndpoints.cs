using System.Text;
using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>
/// The OpenAI Batch API: <c>POST /v1/files</c> (purpose batch), <c>GET /v1/files/{id}/content</c>,
/// <c>POST /v1/batches</c>, <c>GET /v1/batches/{id}</c>, <c>POST /v1/batches/{id}/cancel</c>.
/// </summary>
internal static class OpenAIBatchEndpoints
{
    public static RouteGroupBuilder MapOpenAIBatchEndpoints(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").WithTags("OpenAI batches");
        v1.MapPost("/files", UploadAsync).DisableAntiforgery();
        v1.MapGet("/files/{id}/content", (HttpContext context, string id, BatchSimulation batches) =>
            Refuse(context, batches) ?? (batches.File(id) is { } content ? Results.Bytes(content, "application/jsonl") : NotFound($"No such File object: {id}")));
        v1.MapPost("/batches", CreateAsync);
        v1.MapGet("/batches/{id}", (HttpContext context, string id, BatchSimulation batches) =>
            Refuse(context, batches) ?? (batches.Find(id) is { } batch ? Results.Json(Render(batch)) : NotFound($"No batch found with id '{id}'.")));
        v1.MapPost("/batches/{id}/cancel", (HttpContext context, string id, BatchSimulation batches) =>
        {
            if (Refuse(context, batches) is { } refused) return refused;
            if (batches.Find(id) is not { } batch) return NotFound($"No batch found with id '{id}'.");
            batches.Cancel(batch);
            return Results.Json(Render(batch));
        });
        return v1;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, BatchSimulation batches)
    {
        if (Refuse(context, batches) is { } refused) return refused;
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["purpose"] != "batch") return BadRequest("Invalid value for 'purpose': this fake accepts 'batch' only.", "purpose");
        if (form.Files.GetFile("file") is not { } file) return BadRequest("Missing required parameter: 'file'.", "file");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, context.RequestAborted);
        var id = batches.AddFile(buffer.ToArray());
        return Results.Json(new { id, @object = "file", bytes = buffer.Length, created_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), filename = file.FileName, purpose = "batch" });
    }

    private static async Task<IResult> CreateAsync(HttpContext context, BatchSimulation batches)
    {
        if (Refuse(context, batches) is { } refused) return refused;
        if (batches.Settings.BatchesDisabled)
        {
            return Results.Json(Error("The Batch API is not enabled for this organization.", "invalid_request_error", null, "batch_not_enabled"), statusCode: 403);
        }
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var root = body.RootElement;
        var fileId = root.TryGetProperty("input_file_id", out var f) ? f.GetString() : null;
        var endpoint = root.TryGetProperty("endpoint", out var e) ? e.GetString() : null;
        if (fileId is null || batches.File(fileId) is not { } content) return BadRequest($"No such File object: {fileId}", "input_file_id");
        if (endpoint != "/v1/chat/completions") return BadRequest("This fake batches /v1/chat/completions only.", "endpoint");

        var lines = new List<BatchLine>();
        long tokens = 0;
        foreach (var text in Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var line = JsonDocument.Parse(text);
            var customId = line.RootElement.GetProperty("custom_id").GetString()!;
            var work = OpenAIChatCompletions.Parse(line.RootElement.GetProperty("body"), batches.Options, TimeProvider.System);
            lines.Add(new BatchLine(customId, work.Model, work.PromptTokens, work.CompletionTokens, "Fake batch reply to " + customId));
            tokens += work.PromptTokens;
        }
        return Results.Json(Render(batches.Create(fileId, endpoint, lines, tokens)));
    }

    private static object Render(FakeBatch b) => new
    {
        id = b.Id,
        @object = "batch",
        endpoint = b.Endpoint,
        errors = b.Error is { } error ? new { @object = "list", data = new[] { new { code = error.Code, message = error.Message, param = (string?)null, line = (int?)null } } } : null,
        input_file_id = b.InputFileId,
        completion_window = "24h",
        status = b.Status,
        output_file_id = b.OutputFileId,
        error_file_id = b.ErrorFileId,
        created_at = b.CreatedAt,
        in_progress_at = b.InProgressAt,
        expires_at = b.CreatedAt + 86_400,
        completed_at = b.CompletedAt,
        failed_at = b.FailedAt,
        expired_at = b.ExpiredAt,
        cancelled_at = b.CancelledAt,
        request_counts = new { total = b.Lines.Count, completed = b.Completed, failed = b.Failed },
        metadata = (object?)null,
    };

    private static IResult? Refuse(HttpContext context, BatchSimulation batches)
    {
        var key = batches.Options.ApiKey;
        if (string.IsNullOrEmpty(key) || context.Request.Headers.Authorization.ToString() == "Bearer " + key) return null;
        return Results.Json(Error("Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key"), statusCode: 401);
    }

    private static IResult BadRequest(string message, string? param) => Results.Json(Error(message, "invalid_request_error", param, null), statusCode: 400);

    private static IResult NotFound(string message) => Results.Json(Error(message, "invalid_request_error", null, null), statusCode: 404);

    private static object Error(string message, string type, string? param, string? code) => new { error = new { message, type, param, code } };
}
