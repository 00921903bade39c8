using System.CommandLine;
using BatchAspire.Cli.Local;

namespace BatchAspire.Cli.Commands;

/// <summary><c>batchaspire run FILE -o results.jsonl</c>: the whole engine in this process, no server needed.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The batch file, in any format `submit` accepts." };
        var output = ResultsCommand.OutputOption();
        var errors = ResultsCommand.ErrorsOption();
        var format = ResultsCommand.FormatOption();
        var images = ResultsCommand.SaveImagesOption();
        var model = new Option<string?>("--model", "-m") { Description = "Model for items whose body names none (required for text prompts), e.g. gpt-4o-mini or sim-1." };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute allowed to the provider (BatchAspire:Providers:{provider}:Limits:RequestsPerMinute; enforced once the rate limiter ships)." };
        var tpm = new Option<int?>("--tpm") { Description = "Tokens per minute allowed to the provider (BatchAspire:Providers:{provider}:Limits:TokensPerMinute; enforced once the rate limiter ships)." };
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Provider calls in flight at most (default 1000, BatchAspire:Worker:MaxConcurrency)." };
        var sequential = new Option<bool>("--sequential") { Description = "One call at a time (same as --concurrency 1)." };
        var budget = new Option<decimal?>("--budget") { Description = "Spending cap in USD: the run cancels the job once its cost passes it (exit code 3)." };
        var stateDir = new Option<string?>("--state-dir")
        {
            Description = "Where the run keeps its store and progress (default .batchaspire/run/<hash of FILE's absolute path>). Delete it to start over.",
        };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Run the valid lines and list the invalid ones, instead of running nothing." };
        var verbose = new Option<bool>("--verbose") { Description = "Show the engine's logs on stderr." };
        var inputFormat = CliShared.InputFormatOption();
        var json = CliShared.JsonOption("nothing until the run ends, then the final job");
        rpm.Validators.Add(r => { if (r.GetValue(rpm) is < 1) r.AddError("--rpm must be at least 1."); });
        tpm.Validators.Add(r => { if (r.GetValue(tpm) is < 1) r.AddError("--tpm must be at least 1."); });
        concurrency.Validators.Add(r => { if (r.GetValue(concurrency) is < 1 or > 100_000) r.AddError("--concurrency must be between 1 and 100000."); });

        var command = new Command("run", CliShared.Help(
            "Run a batch in this process, with no server: an embedded store, the same Worker engine, results written to -o as they finish. " +
            "Interrupted (Ctrl+C, crash), the same command resumes: finished items are not sent again, and every custom_id appears once in the output. " +
            "Providers and keys are configured as for the server (OPENAI_API_KEY, BatchAspire__Providers__{name}__BaseUrl, ...).",
            "batchaspire run prompts.txt --model sim-1 -o results.jsonl",
            "batchaspire run requests.jsonl -o results.jsonl --errors errors.jsonl --concurrency 50 --rpm 500",
            "OPENAI_API_KEY=sk-... batchaspire run images.jsonl -o out.jsonl --save-images images/ --budget 10"))
        {
            file, output, errors, format, images, model, rpm, tpm, concurrency, sequential, budget, stateDir, skipInvalid, verbose, inputFormat, json,
        };
        command.SetGuardedAction((parse, cancellationToken) =>
        {
            var input = parse.GetValue(file)!;
            var settings = new RunSettings(
                input, parse.GetValue(inputFormat), parse.GetValue(skipInvalid),
                parse.GetValue(output)!, parse.GetValue(errors), parse.GetValue(format), parse.GetValue(images),
                parse.GetValue(model), parse.GetValue(rpm), parse.GetValue(tpm),
                parse.GetValue(sequential) ? 1 : parse.GetValue(concurrency), parse.GetValue(budget),
                parse.GetValue(stateDir) ?? RunState.DefaultDirectory(input.FullName),
                parse.GetValue(json), parse.GetValue(verbose));
            return LocalRun.RunAsync(settings, cancellationToken);
        });
        return command;
    }
}
