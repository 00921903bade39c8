using System.CommandLine;
using BatchAspire.Cli;
using BatchAspire.Cli.Commands;

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
