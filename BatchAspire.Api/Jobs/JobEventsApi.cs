using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BatchAspire.Api.Jobs;

/// <summary>
/// Live progress as Server-Sent Events: a <c>progress</c> event whenever the job changes, then <c>done</c>.
/// The server reads the job at most twice a second per stream, however many items finish meanwhile.
/// </summary>
public static class JobEventsApi
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapJobEventsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization();
        group.MapGet("/{id}/events", Events).WithSummary("Server-Sent Events: 'progress' with the job on every change, then 'done'.");
        return group;
    }

    public static async Task<Results<ServerSentEventsResult<Job>, NotFound<BatchErrorBody>>> Events(
        string id, ClaimsPrincipal user, JobStore store, HttpContext context)
    {
        if (await store.GetAsync(user.Tenant(), id) is null) return ApiErrors.NotFound("job", id);
        return TypedResults.ServerSentEvents(Watch(store, id, context.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<Job>> Watch(JobStore store, string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Job? last = null;
        var lastSent = DateTimeOffset.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            var job = await store.GetAnyAsync(id);
            if (job is null) yield break;
            if (JobStatus.IsTerminal(job.Status))
            {
                yield return new SseItem<Job>(job, "done");
                yield break;
            }
            if (last is null || job.Counts != last.Counts || job.Status != last.Status || job.RateLimited != last.RateLimited
                || DateTimeOffset.UtcNow - lastSent > Heartbeat)
            {
                yield return new SseItem<Job>(job, "progress");
                last = job;
                lastSent = DateTimeOffset.UtcNow;
            }
            try
            {
                await Task.Delay(Interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}
