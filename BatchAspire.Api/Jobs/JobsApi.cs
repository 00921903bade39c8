using System.Security.Claims;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace BatchAspire.Api.Jobs;

/// <summary>The native jobs API: submit, read, list, cancel, and one item's detail.</summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization();
        group.MapPost("/", Create).WithSummary("Submit a job of inline items.");
        group.MapGet("/", List).WithSummary("List this tenant's jobs, newest first.");
        group.MapGet("/{id}", Get).WithSummary("A job with live counts, usage and cost.");
        group.MapPost("/{id}/cancel", Cancel).WithSummary("Stop dispatching; calls in flight finish and are recorded.");
        group.MapGet("/{id}/items/{customId}", GetItem).WithSummary("One item's state, result and attempt timeline.");
        return group;
    }

    public static async Task<Results<Accepted<Job>, BadRequest<BatchErrorBody>>> Create(
        HttpContext context, JobSubmission submission, IOptions<JobLimitsOptions> limits)
    {
        var (request, invalid) = await JobRequestBody.ReadAsync(context, limits.Value);
        if (invalid is not null) return ApiErrors.BadRequest(invalid);

        var (job, error) = await submission.SubmitAsync(context.User.Tenant(), request!);
        return error is not null ? ApiErrors.BadRequest(error) : TypedResults.Accepted($"/api/jobs/{job!.Id}", job);
    }

    public static async Task<Ok<JobList>> List(ClaimsPrincipal user, JobStore store, int? limit, string? after, string? status)
    {
        var page = await store.ListAsync(user.Tenant(), Math.Clamp(limit ?? 20, 1, 100), after, status);
        return TypedResults.Ok(new JobList(page.Jobs, page.HasMore, page.Jobs.FirstOrDefault()?.Id, page.Jobs.LastOrDefault()?.Id));
    }

    public static async Task<Results<Ok<Job>, NotFound<BatchErrorBody>>> Get(string id, ClaimsPrincipal user, JobStore store) =>
        await store.GetAsync(user.Tenant(), id) is { } job ? TypedResults.Ok(job) : ApiErrors.NotFound("job", id);

    public static async Task<Results<Ok<Job>, NotFound<BatchErrorBody>>> Cancel(string id, ClaimsPrincipal user, JobStore store) =>
        await store.CancelAsync(user.Tenant(), id) is { } job ? TypedResults.Ok(job) : ApiErrors.NotFound("job", id);

    public static async Task<Results<Ok<ItemDetail>, NotFound<BatchErrorBody>>> GetItem(string id, string customId, ClaimsPrincipal user, JobStore store)
    {
        if (await store.GetAsync(user.Tenant(), id) is null) return ApiErrors.NotFound("job", id);
        return await store.GetItemAsync(id, customId) is { } item ? TypedResults.Ok(item) : ApiErrors.NotFound("item", customId);
    }
}

/// <summary>A page of jobs, in the OpenAI list shape.</summary>
public sealed record JobList(IReadOnlyList<Job> Data, bool HasMore, string? FirstId, string? LastId)
{
    public string Object => "list";
}
