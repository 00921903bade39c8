using System.CommandLine;
using System.Text.Json;
using BatchAspire.Cli.Results;
using BatchAspire.Core;
using BatchAspire.Core.Jobs;
using Spectre.Console;

namespace BatchAspire.Cli.Commands;

/// <summary><c>batchaspire results JOB -o FILE</c>: download results, optionally as OpenAI batch output, and save images.</summary>
public static class ResultsCommand
{
    public static Option<string> OutputOption() => new("--output", "-o") { Description = "Where results go (JSONL). Failures too, unless --errors is given.", Required = true };
    public static Option<string?> ErrorsOption() => new("--errors") { Description = "Where failed items go (JSONL), apart from the successes." };
    public static Option<ResultFormat> FormatOption() => new("--format")
    {
        Description = "native: the server's result lines as they are. openai: the OpenAI batch output format " +
                      "({\"id\",\"custom_id\",\"response\":{\"status_code\",\"request_id\",\"body\"},\"error\"}).",
        DefaultValueFactory = _ => ResultFormat.Native,
    };
    public static Option<string?> SaveImagesOption() => new("--save-images")
    {
        Description = "Folder to decode generated images into (OpenAI data[].b64_json, Gemini inlineData, chat image_url data: URLs), " +
                      "named <custom_id>[-n].<ext>.",
    };

    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "The job id (job_...)." };
        var output = OutputOption();
        var errors = ErrorsOption();
        var format = FormatOption();
        var images = SaveImagesOption();
        var wait = new Option<bool>("--wait") { Description = "Follow a running job and write each result as it finishes, until the job ends." };
        var json = CliShared.JsonOption("a summary ({\"job_id\",\"succeeded\",\"failed\",\"images\",\"status\"})");
        var command = new Command("results", CliShared.Help(
            "Write a job's results to files: what has finished so far, or (--wait) everything as it finishes.",
            "batchaspire results job_0199... -o results.jsonl",
            "batchaspire results job_0199... -o output.jsonl --errors errors.jsonl --format openai",
            "batchaspire results job_0199... -o results.jsonl --save-images images/"))
        {
            job, output, errors, format, images, wait, json,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            using var client = CliShared.Client(parse);
            var jobId = parse.GetValue(job)!;
            var before = await client.GetJobAsync(jobId, cancellationToken);
            using var files = ResultFiles.Open(parse.GetValue(output)!, parse.GetValue(errors), parse.GetValue(format), jobId, parse.GetValue(images), resume: false);

            var (response, body) = await client.ResultsAsync(jobId, parse.GetValue(wait), cancellationToken);
            using (response)
            await using (body)
            {
                using var reader = new StreamReader(body);
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (line.Length == 0) continue;
                    files.Write(System.Text.Encoding.UTF8.GetBytes(line));
                }
            }
            files.Flush();

            var after = parse.GetValue(wait) ? (await client.GetJobAsync(jobId, cancellationToken)).Job : before.Job;
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new ResultsSummary(jobId, after.Status, files.Succeeded, files.Failed, files.ImagesSaved), BatchJson.Options));
            }
            else
            {
                CliShared.Error.MarkupLine($"Wrote {files.Succeeded} succeeded and {files.Failed} failed results of {Markup.Escape(jobId)}" +
                    (files.ImagesSaved > 0 ? $", and {files.ImagesSaved} images." : "."));
                if (!JobStatus.IsTerminal(after.Status))
                {
                    CliShared.Error.MarkupLine($"[yellow]The job is still {after.Status}:[/] {files.Count} of {after.Counts.Total} items had finished. Use --wait to follow it to the end.");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private sealed record ResultsSummary(string JobId, string Status, int Succeeded, int Failed, int Images);
}
