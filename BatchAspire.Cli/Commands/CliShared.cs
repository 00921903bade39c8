using System.CommandLine;
using BatchAspire.Cli.Input;
using BatchAspire.Cli.Server;
using Spectre.Console;

namespace BatchAspire.Cli.Commands;

/// <summary>Options and behaviour every command shares: the server, --json, errors on stderr, exit codes.</summary>
public static class CliShared
{
    public static readonly Option<string?> Url = new("--url")
    {
        Description = $"The BatchAspire Api (default: ${ServerSettings.UrlVariable}, else \"url\" in ~/.config/batchaspire/config.json, else {ServerSettings.DefaultUrl}).",
        Recursive = true,
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = $"API key sent as a bearer token (default: ${ServerSettings.ApiKeyVariable}, else \"api_key\" in ~/.config/batchaspire/config.json). Never printed.",
        Recursive = true,
    };

    /// <summary>Errors and notes go to stderr, so stdout holds only what a script reads (an id, JSON, a table).</summary>
    public static readonly IAnsiConsole Error = CreateErrorConsole();

    private static IAnsiConsole CreateErrorConsole()
    {
        var redirected = Console.IsErrorRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        // A log file or a pipe gets whole lines, not lines wrapped at an imagined 80 columns.
        if (redirected) console.Profile.Width = 4096;
        return console;
    }

    public static Option<bool> JsonOption(string what) => new("--json") { Description = $"Print {what} as JSON on stdout (for scripts), and nothing else." };

    public static Option<InputFormat> InputFormatOption() => new("--input-format")
    {
        Description = "How to read FILE: auto (a first line starting with '{' means JSONL, else one prompt per line), jsonl or text.",
        DefaultValueFactory = _ => InputFormat.Auto,
    };

    public static BatchAspireClient Client(ParseResult parse) => new(ServerSettings.Resolve(parse.GetValue(Url), parse.GetValue(ApiKey)));

    /// <summary>Runs a command's action, turning known failures into a message on stderr and an exit code.</summary>
    public static void SetGuardedAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken);
            }
            catch (CliException ex)
            {
                Error.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
                return ex.ExitCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or HttpIOException && !cancellationToken.IsCancellationRequested)
            {
                Error.MarkupLine($"[red]error:[/] the connection to the server broke: {Markup.Escape(ex.Message)}");
                return ExitCodes.Unavailable;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Error.MarkupLine("[yellow]Interrupted.[/]");
                return ExitCodes.Interrupted;
            }
        });

    /// <summary>The lines of a file that cannot be submitted, at most a screenful, then how many more.</summary>
    public static void PrintProblems(IReadOnlyList<InputProblem> problems, string path, int max = 20)
    {
        foreach (var problem in problems.Take(max)) Error.WriteLine($"{path}:{problem.Line}: {problem.Message}");
        if (problems.Count > max) Error.WriteLine($"... and {problems.Count - max} more invalid lines.");
    }

    /// <summary>Reads and checks the whole input file; stops here unless it is valid or invalid lines may be skipped.</summary>
    public static async Task<InputFile> ReadInputAsync(FileInfo file, InputFormat format, string? model, bool skipInvalid, CancellationToken cancellationToken)
    {
        var input = await InputReader.ReadAsync(file.FullName, format, model, cancellationToken);
        if (input.Problems.Count > 0)
        {
            if (!skipInvalid || input.Items.Count == 0)
            {
                PrintProblems(input.Problems, file.Name);
                throw new CliException(input.Items.Count == 0 && input.Problems is [{ Line: 0 }]
                    ? $"{file.Name} has no requests."
                    : $"Nothing was submitted: {input.Problems.Count} invalid line(s) in {file.Name}. Fix them, or pass --skip-invalid to submit the {input.Items.Count} valid one(s).");
            }
            Error.MarkupLine($"[yellow]Skipped {input.Problems.Count} invalid line(s) of {Markup.Escape(file.Name)}:[/]");
            PrintProblems(input.Problems, file.Name, int.MaxValue);
        }
        return input;
    }

    /// <summary>An error the server (or JobSubmission) names as <c>items[i]…</c>, told as the line of the input file.</summary>
    public static string WithLine(string message, string? param, InputFile input)
    {
        if (param is null || !param.StartsWith("items[", StringComparison.Ordinal)) return message;
        var end = param.IndexOf(']');
        return end > 6 && int.TryParse(param[6..end], out var index) && input.LineOf(index) is { } line
            ? $"{Path.GetFileName(input.Path)}:{line}: {message}"
            : message;
    }

    public static Dictionary<string, string> Metadata(string[]? pairs, decimal? budget)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new CliException($"--metadata '{pair}' is not key=value.");
            metadata[pair[..eq]] = pair[(eq + 1)..];
        }
        if (budget is { } usd)
        {
            if (usd <= 0) throw new CliException("--budget must be a positive amount of US dollars, e.g. --budget 5.");
            metadata["max_cost_usd"] = usd.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return metadata;
    }

    public static string Help(string summary, params string[] examples) =>
        summary + "\n\nExamples:\n" + string.Join("\n", examples.Select(e => "  " + e)) + "\n\n" + ExitCodes.Help;
}
