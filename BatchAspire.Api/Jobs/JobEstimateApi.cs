using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
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
        var (request, invalid) = await JobRequestBody.ReadAsync(context, limits.Value);
        if (invalid is not null) return ApiErrors.BadRequest(invalid);
        var (job, error) = submission.Validate(context.User.Tenant(), request!);
        return error is not null ? ApiErrors.BadRequest(error) : TypedResults.Ok(estimator.Estimate(job!));
    }
}
