using System.Text.Json;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace BatchAspire.Api.Jobs;

/// <summary><c>POST /api/jobs/estimate</c>: the body of <c>POST /api/jobs</c>, validated and priced; nothing is stored or sent.</summary>
public static class JobEstimateApi
{
    public static RouteGroupBuilder MapJobEstimateApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization();
        group.MapPost("/estimate", Estimate).WithSummary("Estimate a job's tokens and worst-case cost (fast and economy) without submitting it.");
        return group;
    }

    public static async Task<Results<Ok<JobEstimate>, BadRequest<BatchErrorBody>>> Estimate(
        HttpContext context, JobSubmission submission, JobEstimator estimator, IOptions<JobLimitsOptions> limits)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.Value.MaxRequestBytes;
        }
        if (!context.Request.HasJsonContentType())
        {
            return ApiErrors.BadRequest(BatchError.Invalid("Send the job as JSON with Content-Type: application/json.", null, "invalid_content_type"));
        }
        JobRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<JobRequest>(context.Request.Body, BatchJson.Options, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiErrors.BadRequest(ApiErrors.InvalidJson(ex));
        }
        if (request is null)
        {
            return ApiErrors.BadRequest(BatchError.Invalid("The request body must be a JSON object with 'items'.", null, "invalid_json"));
        }
        var (job, error) = submission.Validate(context.User.Tenant(), request);
        return error is not null ? ApiErrors.BadRequest(error) : TypedResults.Ok(estimator.Estimate(job!));
    }
}
