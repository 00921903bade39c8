using System.Security.Claims;
using System.Text.Json;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core;
using BatchAspire.Core.Batches;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BatchAspire.Api.V1;

/// <summary>
/// OpenAI's Batches API: create from an uploaded file, retrieve, list, cancel. A batch is a job; the Batch
/// object is rendered from it. BatchAspire's options ride in <c>metadata</c> (<see cref="BatchMetadataKeys"/>).
/// </summary>
public static class BatchesApi
{
    public static RouteGroupBuilder MapBatchesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/batches").WithTags("Batches (OpenAI)").RequireAuthorization();
        group.MapPost("/", Create).WithSummary("Create and start a batch from an uploaded file (purpose 'batch').");
        group.MapGet("/", List).WithSummary("List this tenant's batches, newest first.");
        group.MapGet("/{id}", Get).WithSummary("A batch with its request counts, usage and files.");
        group.MapPost("/{id}/cancel", Cancel).WithSummary("Stop dispatching; calls in flight finish and are recorded.");
        return group;
    }

    public static async Task<Results<Ok<BatchObject>, BadRequest<BatchErrorBody>, NotFound<BatchErrorBody>>> Create(
        HttpContext context, BatchCreation creation, BatchOutputFiles generated)
    {
        if (!context.Request.HasJsonContentType())
        {
            return ApiErrors.BadRequest(BatchError.Invalid("Send the batch as JSON with Content-Type: application/json.", null, "invalid_content_type"));
        }
        BatchRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<BatchRequest>(context.Request.Body, BatchJson.Options, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiErrors.BadRequest(ApiErrors.InvalidJson(ex));
        }
        if (request is null) return ApiErrors.BadRequest(BatchError.Invalid("The request body must be a JSON object.", null, "invalid_json"));

        var result = await creation.CreateAsync(context.User.Tenant(), request, context.RequestAborted);
        if (result.Error is { } error) return result.NotFound ? TypedResults.NotFound(new BatchErrorBody(error)) : ApiErrors.BadRequest(error);
        return TypedResults.Ok(await RenderAsync(result.Job!, generated));
    }

    public static async Task<Ok<ListPage<BatchObject>>> List(ClaimsPrincipal user, JobStore jobs, BatchOutputFiles generated, int? limit, string? after)
    {
        var afterJob = after is null ? null : BatchIds.ToJobId(after) ?? "job_";
        var page = await jobs.ListAsync(user.Tenant(), Math.Clamp(limit ?? 20, 1, 100), afterJob, null, IsBatch);
        var batches = new List<BatchObject>(page.Jobs.Count);
        foreach (var job in page.Jobs) batches.Add(await RenderAsync(job, generated));
        return TypedResults.Ok(new ListPage<BatchObject>(batches, batches.FirstOrDefault()?.Id, batches.LastOrDefault()?.Id, page.HasMore));
    }

    public static async Task<Results<Ok<BatchObject>, NotFound<BatchErrorBody>>> Get(string id, ClaimsPrincipal user, JobStore jobs, BatchOutputFiles generated) =>
        BatchIds.ToJobId(id) is { } jobId && await jobs.GetAsync(user.Tenant(), jobId) is { } job && IsBatch(job)
            ? TypedResults.Ok(await RenderAsync(job, generated))
            : ApiErrors.NotFound("batch", id);

    public static async Task<Results<Ok<BatchObject>, NotFound<BatchErrorBody>>> Cancel(string id, ClaimsPrincipal user, JobStore jobs, BatchOutputFiles generated)
    {
        if (BatchIds.ToJobId(id) is not { } jobId || await jobs.GetAsync(user.Tenant(), jobId) is not { } found || !IsBatch(found))
        {
            return ApiErrors.NotFound("batch", id);
        }
        var job = await jobs.CancelAsync(user.Tenant(), jobId);
        return job is null ? ApiErrors.NotFound("batch", id) : TypedResults.Ok(await RenderAsync(job, generated));
    }

    /// <summary>Jobs submitted natively (<c>/api/jobs</c>) have no input file and are not batches.</summary>
    private static bool IsBatch(Job job) => job.InputFileId is not null;

    private static async Task<BatchObject> RenderAsync(Job job, BatchOutputFiles generated)
    {
        await generated.RegisterAsync(job);
        return BatchObject.From(job);
    }
}
