using System.CommandLine;
using Spectre.Console;

namespace BatchAspire.Cli.Commands;

/// <summary><c>batchaspire submit FILE</c>: validate a batch file whole, then submit it as one job.</summary>
public static class SubmitCommand
{
    public static readonly string[] Modes = ["fast", "economy", "waves", "auto"];

    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE")
        {
            Description = "OpenAI batch JSONL ({\"custom_id\",\"method\":\"POST\",\"url\",\"body\"}), plain JSONL ({\"custom_id\"?, \"messages\"|\"prompt\"|\"body\", ...}), or text with one prompt per line.",
        };
        var model = new Option<string?>("--model", "-m") { Description = "Model for items whose body names none (required for text prompts), e.g. gpt-4o-mini or sim-1." };
        var mode = new Option<string>("--mode") { Description = "How items reach the provider: fast (realtime), economy (provider batch API), waves, auto.", DefaultValueFactory = _ => "fast" };
        mode.AcceptOnlyFromAmong(Modes);
        var budget = new Option<decimal?>("--budget")
        {
            Description = "Spending cap in USD. Sent as metadata max_cost_usd; the server records it but does not enforce it yet.",
        };
        var metadata = new Option<string[]>("--metadata") { Description = "key=value kept with the job (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var watch = new Option<bool>("--watch", "-w") { Description = "After submitting, show progress until the job ends (exit code from the job's status)." };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Submit the valid lines and list the invalid ones, instead of submitting nothing." };
        var inputFormat = CliShared.InputFormatOption();
        var json = CliShared.JsonOption("the job (with --watch: the final job)");

        var command = new Command("submit", CliShared.Help(
            "Validate FILE whole (every bad line reported with its number; nothing is sent unless all are valid), submit it as one job, and print the job id.",
            "batchaspire submit requests.jsonl",
            "batchaspire submit prompts.txt --model gpt-4o-mini --watch",
            "batchaspire submit chats.jsonl --model sim-1 --budget 2.50 --metadata team=search --json",
            "id=$(batchaspire submit requests.jsonl) && batchaspire watch $id"))
        {
            file, model, mode, budget, metadata, watch, skipInvalid, inputFormat, json,
        };

        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            var jobModel = parse.GetValue(model);
            var input = await CliShared.ReadInputAsync(path, parse.GetValue(inputFormat), jobModel, parse.GetValue(skipInvalid), cancellationToken);
            var meta = CliShared.Metadata(parse.GetValue(metadata), parse.GetValue(budget));

            using var client = CliShared.Client(parse);
            Server.JobReply reply;
            try
            {
                reply = await client.SubmitAsync(jobModel, parse.GetValue(mode), input.Items, meta.Count > 0 ? meta : null, cancellationToken);
            }
            catch (CliException ex) when (ex.Param is not null)
            {
                throw new CliException(CliShared.WithLine(ex.Message, ex.Param, input), ex.ExitCode);
            }

            var asJson = parse.GetValue(json);
            if (parse.GetValue(watch))
            {
                if (!asJson) CliShared.Error.MarkupLine($"Submitted [bold]{reply.Job.Id}[/]: {input.Items.Count} items.");
                return await WatchCommand.WatchAsync(client, reply.Job.Id, asJson, cancellationToken);
            }
            if (asJson)
            {
                Console.Out.WriteLine(reply.Json);
            }
            else
            {
                CliShared.Error.MarkupLine($"Submitted {input.Items.Count} items. Follow with: batchaspire watch {Markup.Escape(reply.Job.Id)}");
                Console.Out.WriteLine(reply.Job.Id);
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
