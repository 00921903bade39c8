using System.CommandLine;
using System.Globalization;
using BatchAspire.Core.Jobs;
using Spectre.Console;

namespace BatchAspire.Cli.Commands;

/// <summary><c>status</c>, <c>list</c> and <c>cancel</c>: one request each, a table for people or JSON for scripts.</summary>
public static class JobCommands
{
    public static Command Status()
    {
        var job = new Argument<string>("JOB") { Description = "The job id (job_...)." };
        var json = CliShared.JsonOption("the job");
        var command = new Command("status", CliShared.Help(
            "Show a job: status, counts, usage, cost and timestamps.",
            "batchaspire status job_0199...",
            "batchaspire status job_0199... --json | jq .counts"))
        {
            job, json,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            using var client = CliShared.Client(parse);
            var reply = await client.GetJobAsync(parse.GetValue(job)!, cancellationToken);
            if (parse.GetValue(json)) Console.Out.WriteLine(reply.Json);
            else AnsiConsole.Write(Details(reply.Job));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command List()
    {
        var status = new Option<string?>("--status") { Description = "Only jobs in this status." };
        status.AcceptOnlyFromAmong(JobStatus.Validating, JobStatus.InProgress, JobStatus.Finalizing, JobStatus.Completed, JobStatus.Failed, JobStatus.Cancelling, JobStatus.Cancelled, JobStatus.Expired);
        var limit = new Option<int>("--limit") { Description = "How many jobs, newest first (1-100).", DefaultValueFactory = _ => 20 };
        limit.Validators.Add(r => { if (r.GetValue(limit) is < 1 or > 100) r.AddError("--limit must be between 1 and 100."); });
        var json = CliShared.JsonOption("the page of jobs ({\"object\":\"list\",\"data\":[...]})");
        var command = new Command("list", CliShared.Help(
            "List your jobs, newest first.",
            "batchaspire list",
            "batchaspire list --status in_progress --limit 5",
            "batchaspire list --json | jq -r '.data[].id'"))
        {
            status, limit, json,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            using var client = CliShared.Client(parse);
            var page = await client.ListAsync(parse.GetValue(status), parse.GetValue(limit), cancellationToken);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(page.Json);
                return ExitCodes.Success;
            }
            if (page.Data.Count == 0)
            {
                CliShared.Error.WriteLine("No jobs.");
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns("Job", "Status", "Model", "Done", "Failed", "Cost (USD)", "Created (UTC)");
            foreach (var j in page.Data)
            {
                table.AddRow(
                    Markup.Escape(j.Id), Markup.Escape(j.Status), Markup.Escape(j.Model ?? "-"),
                    $"{j.Counts.Completed + j.Counts.Failed}/{j.Counts.Total}", j.Counts.Failed.ToString(CultureInfo.InvariantCulture),
                    Usd(j.CostUsd), Time(j.CreatedAt));
            }
            AnsiConsole.Write(table);
            if (page.HasMore) CliShared.Error.WriteLine("More jobs exist: raise --limit, or filter with --status.");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Cancel()
    {
        var job = new Argument<string>("JOB") { Description = "The job id (job_...)." };
        var json = CliShared.JsonOption("the job after the cancel");
        var command = new Command("cancel", CliShared.Help(
            "Cancel a job: nothing new is sent; calls in flight finish and are recorded.",
            "batchaspire cancel job_0199..."))
        {
            job, json,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            using var client = CliShared.Client(parse);
            var reply = await client.CancelAsync(parse.GetValue(job)!, cancellationToken);
            if (parse.GetValue(json)) Console.Out.WriteLine(reply.Json);
            else Console.Out.WriteLine($"{reply.Job.Id} {reply.Job.Status}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Grid Details(Job job)
    {
        var c = job.Counts;
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string name, string value) => grid.AddRow(new Markup($"[bold]{name}[/]"), new Text(value));
        Row("Job", job.Id);
        Row("Status", job.Status);
        Row("Mode", job.Mode);
        Row("Model", job.Model ?? "(per item)");
        Row("Items", $"{c.Total} total: {c.Completed} succeeded, {c.Failed} failed, {c.InFlight} in flight, {c.Retrying} retrying, {c.Pending} pending");
        Row("Retries", $"{job.Retries} (429s: {job.RateLimited})");
        Row("Tokens", $"{job.Usage.InputTokens} in, {job.Usage.OutputTokens} out");
        Row("Cost", "$" + Usd(job.CostUsd));
        Row("Created", Time(job.CreatedAt));
        if (job.FinishedAt is { } finished) Row("Finished", Time(finished));
        if (job.Metadata is { Count: > 0 } metadata) Row("Metadata", string.Join(", ", metadata.Select(p => $"{p.Key}={p.Value}")));
        if (job.Error is { } error) Row("Error", $"{error.Code}: {error.Message}");
        return grid;
    }

    private static string Usd(decimal usd) => usd.ToString("0.######", CultureInfo.InvariantCulture);

    private static string Time(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
