using System.Security.Claims;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core.Files;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BatchAspire.Api.V1;

/// <summary>
/// OpenAI's Files API for batch input: upload (streamed to the store, never held whole), list, retrieve,
/// download, delete. A batch's output and error files are listed and served here too.
/// </summary>
public static class FilesApi
{
    public static RouteGroupBuilder MapFilesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/files").WithTags("Files (OpenAI)").RequireAuthorization();
        group.MapPost("/", Upload).WithSummary("Upload a JSONL batch input file (multipart: file, purpose=batch).").DisableAntiforgery();
        group.MapGet("/", List).WithSummary("List this tenant's files, newest first.");
        group.MapGet("/{id}", Get).WithSummary("A file's metadata.");
        group.MapGet("/{id}/content", Content).WithSummary("A file's content, streamed.");
        group.MapDelete("/{id}", Delete).WithSummary("Delete an uploaded file.");
        return group;
    }

    public static async Task<Results<Ok<FileObject>, BadRequest<BatchErrorBody>>> Upload(
        HttpContext context, FileStore files, IOptions<FilesOptions> options)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = options.Value.MaxBytes + 1024 * 1024; // the multipart envelope around the file
        }
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
        {
            return ApiErrors.BadRequest(BatchError.Invalid("Upload the file as multipart/form-data with fields 'file' and 'purpose'.", null, "invalid_content_type"));
        }

        StagedFile? staged = null;
        var committed = false;
        try
        {
            string? purpose = null, filename = null;
            var reader = new MultipartReader(boundary, context.Request.Body);
            try
            {
                while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
                {
                    if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                        || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)) continue;
                    var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                    if (name == "file")
                    {
                        if (staged is not null) return ApiErrors.BadRequest(BatchError.Invalid("Send one 'file' field.", "file", "invalid_file"));
                        filename = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                        var (file, error) = await files.StageAsync(section.Body, context.RequestAborted);
                        if (error is not null) return ApiErrors.BadRequest(error);
                        staged = file;
                    }
                    else if (name == "purpose")
                    {
                        using var text = new StreamReader(section.Body, leaveOpen: true);
                        var buffer = new char[64];
                        var read = await text.ReadBlockAsync(buffer, context.RequestAborted);
                        purpose = new string(buffer, 0, read).Trim();
                    }
                }
            }
            catch (IOException ex) when (ex is not EndOfStreamException || !context.RequestAborted.IsCancellationRequested)
            {
                return ApiErrors.BadRequest(BatchError.Invalid($"The multipart body is malformed: {ex.Message}", null, "invalid_multipart"));
            }
            catch (InvalidDataException ex)
            {
                return ApiErrors.BadRequest(BatchError.Invalid($"The multipart body is malformed: {ex.Message}", null, "invalid_multipart"));
            }

            if (staged is null) return ApiErrors.BadRequest(BatchError.Invalid("Missing required parameter: 'file'.", "file", "missing_required_parameter"));
            if (string.IsNullOrEmpty(purpose)) return ApiErrors.BadRequest(BatchError.Invalid("Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter"));
            if (purpose != FilePurposes.Batch)
            {
                return ApiErrors.BadRequest(BatchError.Invalid($"Invalid purpose '{purpose}': BatchAspire stores files for purpose 'batch' only.", "purpose", "invalid_value"));
            }
            var stored = await files.CommitAsync(staged, context.User.Tenant(), string.IsNullOrWhiteSpace(filename) ? "file.jsonl" : filename, purpose);
            committed = true;
            return TypedResults.Ok(FileObject.From(stored));
        }
        finally
        {
            if (staged is not null && !committed) await files.DiscardAsync(staged);
        }
    }

    public static async Task<Ok<ListPage<FileObject>>> List(
        ClaimsPrincipal user, FileStore files, BatchOutputFiles generated, string? purpose, int? limit, string? after, CancellationToken cancellationToken)
    {
        var tenant = user.Tenant();
        var take = Math.Clamp(limit ?? 10_000, 1, 10_000);
        var found = new List<FileObject>();
        long skip = 0;
        while (found.Count <= take)
        {
            var ids = await files.ListIdsAsync(tenant, after, skip, Math.Min(take + 1, 1000));
            if (ids.Count == 0) break;
            skip += ids.Count;
            foreach (var id in ids)
            {
                var file = await DescribeAsync(tenant, id, files, generated, cancellationToken);
                if (file is null)
                {
                    await files.ForgetAsync(tenant, id);
                    skip--;
                    continue;
                }
                if (purpose is null || file.Purpose == purpose) found.Add(file);
                if (found.Count > take) break;
            }
        }
        var page = found.Take(take).ToList();
        return TypedResults.Ok(new ListPage<FileObject>(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, found.Count > take));
    }

    public static async Task<Results<Ok<FileObject>, NotFound<BatchErrorBody>>> Get(
        string id, ClaimsPrincipal user, FileStore files, BatchOutputFiles generated, CancellationToken cancellationToken) =>
        await DescribeAsync(user.Tenant(), id, files, generated, cancellationToken) is { } file ? TypedResults.Ok(file) : ApiErrors.NotFound("file", id);

    public static async Task<Results<PushStreamHttpResult, NotFound<BatchErrorBody>>> Content(
        string id, ClaimsPrincipal user, FileStore files, BatchOutputFiles generated)
    {
        var tenant = user.Tenant();
        if (await generated.ResolveAsync(tenant, id) is var (job, errors))
        {
            return TypedResults.Stream(stream => generated.WriteAsync(stream, job, errors, CancellationToken.None), "application/octet-stream");
        }
        if (await files.GetAsync(tenant, id) is null) return ApiErrors.NotFound("file", id);
        return TypedResults.Stream(async stream =>
        {
            await foreach (var chunk in files.ReadChunksAsync(id)) await stream.WriteAsync(chunk);
        }, "application/octet-stream");
    }

    public static async Task<Results<Ok<FileDeleted>, NotFound<BatchErrorBody>, BadRequest<BatchErrorBody>>> Delete(
        string id, ClaimsPrincipal user, FileStore files, BatchOutputFiles generated)
    {
        var tenant = user.Tenant();
        if (await generated.ResolveAsync(tenant, id) is not null)
        {
            return ApiErrors.BadRequest(BatchError.Invalid(
                "A batch's output and error files are generated from its results and go with the batch (BatchAspire:Store:Retention); they cannot be deleted on their own.",
                "id", "cannot_delete_generated_file"));
        }
        return await files.DeleteAsync(tenant, id) ? TypedResults.Ok(new FileDeleted(id, true)) : ApiErrors.NotFound("file", id);
    }

    private static async Task<FileObject?> DescribeAsync(string tenant, string id, FileStore files, BatchOutputFiles generated, CancellationToken cancellationToken)
    {
        if (BatchOutputFiles.IsGenerated(id))
        {
            return await generated.ResolveAsync(tenant, id) is var (job, errors) ? await generated.DescribeAsync(job, errors, cancellationToken) : null;
        }
        return await files.GetAsync(tenant, id) is { } file ? FileObject.From(file) : null;
    }
}
