using System.CommandLine;
using System.Runtime.CompilerServices;
using BatchAspire.Cli.Progress;
using BatchAspire.Cli.Server;
using BatchAspire.Core.Jobs;
using Spectre.Console;

namespace BatchAspire.Cli.Commands;

/// <summary><c>batchaspire watch JOB</c>: live progress until the job ends; the exit code tells how it ended.</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "The job id (job_...)." };
        var json = CliShared.JsonOption("nothing until the job ends, then the final job");
        var command = new Command("watch", CliShared.Help(
            "Show a job's progress until it ends: done/total, items/s, ETA, retries, 429s and cost so far. " +
            "On a terminal a live bar; piped, one line per change. Follows the server's event stream, and polls if the stream breaks.",
            "batchaspire watch job_0199...",
            "batchaspire watch job_0199... --json > job.json; echo $?"))
        {
            job, json,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            using var client = CliShared.Client(parse);
            return await WatchAsync(client, parse.GetValue(job)!, parse.GetValue(json), cancellationToken);
        });
        return command;
    }

    public static async Task<int> WatchAsync(BatchAspireClient client, string jobId, bool json, CancellationToken cancellationToken)
    {
        JobReply? last = null;
        try
        {
            await new JobProgressView(JobProgressView.Choose(json)).ShowAsync(Track(), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            CliShared.Error.MarkupLine($"[yellow]Stopped watching; the job goes on.[/] Watch again with: batchaspire watch {Markup.Escape(jobId)}");
            return ExitCodes.Interrupted;
        }
        if (last is null) throw new CliException($"No news of {jobId} from the server.", ExitCodes.Unavailable);

        if (json) Console.Out.WriteLine(last.Json);
        else PrintSummary(last.Job);
        return ExitCodes.ForJob(last.Job);

        async IAsyncEnumerable<Job> Track([EnumeratorCancellation] CancellationToken ct = default)
        {
            await foreach (var reply in JobFollower.FollowAsync(client, jobId, cancellationToken))
            {
                last = reply;
                yield return reply.Job;
            }
        }
    }

    public static void PrintSummary(Job job, bool hintResults = true)
    {
        var c = job.Counts;
        var color = job.Status == JobStatus.Completed ? "green" : job.Status is JobStatus.Cancelled ? "yellow" : "red";
        CliShared.Error.MarkupLine(
            $"[{color}]{Markup.Escape(job.Id)} {job.Status}[/]: {c.Completed} succeeded, {c.Failed} failed of {c.Total}; " +
            $"{job.Usage.TotalTokens} tokens, ${job.CostUsd.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)}.");
        if (job.Error is { } error) CliShared.Error.MarkupLine($"[red]{Markup.Escape(error.Code)}:[/] {Markup.Escape(error.Message)}");
        if (hintResults && JobStatus.IsTerminal(job.Status)) CliShared.Error.WriteLine($"Results: batchaspire results {job.Id} -o results.jsonl --errors errors.jsonl");
    }
}
