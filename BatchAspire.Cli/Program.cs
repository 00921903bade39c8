using System.CommandLine;
using BatchAspire.Cli;
using BatchAspire.Cli.Commands;
using Spectre.Console;

// Piped output gets whole lines (tables, ids), not lines wrapped at an imagined 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 4096;

var root = new RootCommand(
    "batchaspire: run large batches of LLM requests on BatchAspire (submit, watch, results), or locally with no server (run).\n\n" +
    "Server: --url / BATCHASPIRE_URL / ~/.config/batchaspire/config.json {\"url\",\"api_key\"}, default http://localhost:5080.\n\n" +
    ExitCodes.Help)
{
    SubmitCommand.Create(),
    WatchCommand.Create(),
    JobCommands.Status(),
    JobCommands.List(),
    JobCommands.Cancel(),
    ResultsCommand.Create(),
    RunCommand.Create(),
};
root.Options.Add(CliShared.Url);
root.Options.Add(CliShared.ApiKey);

// Ctrl+C cancels the command; `run` then stops its Worker, which releases calls in flight, before exiting.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(40) });
