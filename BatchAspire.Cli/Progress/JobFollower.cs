using System.Runtime.CompilerServices;
using System.Text.Json;
using BatchAspire.Cli.Server;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Cli.Progress;

/// <summary>
/// A running job's snapshots from the server: the SSE stream while it lasts, then polling <c>GET /api/jobs/{id}</c>
/// if the stream breaks, until the job reaches a terminal status.
/// </summary>
public static class JobFollower
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    public static async IAsyncEnumerable<JobReply> FollowAsync(BatchAspireClient client, string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The job first: a wrong id or key fails here with the server's message, not as a broken stream.
        var first = await client.GetJobAsync(jobId, cancellationToken);
        yield return first;
        if (JobStatus.IsTerminal(first.Job.Status)) yield break;

        await using (var events = client.EventsAsync(jobId, cancellationToken).GetAsyncEnumerator(cancellationToken))
        {
            while (true)
            {
                JobReply? next;
                try
                {
                    next = await events.MoveNextAsync() ? events.Current.Reply : null;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or IOException or JsonException or CliException { ExitCode: ExitCodes.Unavailable })
                {
                    next = null;
                }
                if (next is null) break;
                yield return next;
                if (JobStatus.IsTerminal(next.Job.Status)) yield break;
            }
        }

        // The stream ended before the job did (server restart, proxy timeout): poll, for a while even if the server is gone.
        var lastReached = DateTimeOffset.UtcNow;
        while (true)
        {
            await Task.Delay(PollInterval, cancellationToken);
            JobReply reply;
            try
            {
                reply = await client.GetJobAsync(jobId, cancellationToken);
            }
            catch (CliException ex) when (ex.ExitCode == ExitCodes.Unavailable && !cancellationToken.IsCancellationRequested && DateTimeOffset.UtcNow - lastReached < GiveUpAfter)
            {
                continue;
            }
            lastReached = DateTimeOffset.UtcNow;
            yield return reply;
            if (JobStatus.IsTerminal(reply.Job.Status)) yield break;
        }
    }
}
