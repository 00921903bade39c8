using System.Security.Claims;
using System.Buffers;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BatchAspire.Api.Jobs;

/// <summary>Results as NDJSON: in input order, or followed live as items finish (<c>?wait=true</c>).</summary>
public static class JobResultsApi
{
    private const int Chunk = 1000;
    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(200);

    public static RouteGroupBuilder MapJobResultsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization();
        group.MapGet("/{id}/results", Results)
            .WithSummary("Finished items as NDJSON, in input order; with wait=true, streamed in completion order until the job ends; " +
                         "with recent=true, the last 'limit' (default 50, at most 1000) finished, newest first.");
        return group;
    }

    public static async Task<Results<PushStreamHttpResult, NotFound<BatchErrorBody>>> Results(
        string id, bool? wait, bool? recent, int? limit, ClaimsPrincipal user, JobStore store)
    {
        if (await store.GetAsync(user.Tenant(), id) is not { } job) return ApiErrors.NotFound("job", id);
        if (recent == true)
        {
            var count = Math.Clamp(limit ?? 50, 1, 1000);
            return TypedResults.Stream(async stream => await WriteLinesAsync(stream, await store.ReadRecentResultsAsync(id, count)), "application/x-ndjson");
        }
        return TypedResults.Stream(
            (stream) => wait == true ? FollowAsync(stream, store, id) : InOrderAsync(stream, store, job),
            "application/x-ndjson");
    }

    private static async Task InOrderAsync(Stream stream, JobStore store, Job job)
    {
        for (long start = 0; start < job.Counts.Total; start += Chunk)
        {
            var lines = await store.ReadResultsInOrderAsync(job.Id, start, (int)Math.Min(Chunk, job.Counts.Total - start));
            await WriteLinesAsync(stream, lines);
        }
    }

    private static async Task FollowAsync(Stream stream, JobStore store, string jobId)
    {
        long offset = 0;
        while (true)
        {
            var (lines, consumed) = await store.ReadResultsInCompletionOrderAsync(jobId, offset, Chunk);
            offset += consumed;
            await WriteLinesAsync(stream, lines);
            if (consumed > 0) continue;

            var job = await store.GetAnyAsync(jobId);
            if (job is null || JobStatus.IsTerminal(job.Status))
            {
                // One last read: results recorded between the read above and the status check.
                var (last, _) = await store.ReadResultsInCompletionOrderAsync(jobId, offset, int.MaxValue);
                await WriteLinesAsync(stream, last);
                return;
            }
            await Task.Delay(FollowPoll);
        }
    }

    private static async Task WriteLinesAsync(Stream stream, IReadOnlyList<byte[]> lines)
    {
        if (lines.Count == 0) return;
        var chunk = new ArrayBufferWriter<byte>(lines.Sum(l => l.Length + 1));
        foreach (var line in lines)
        {
            chunk.Write(line);
            chunk.Write("\n"u8);
        }
        await stream.WriteAsync(chunk.WrittenMemory);
        await stream.FlushAsync();
    }
}
