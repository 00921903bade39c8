using BatchAspire.Core.Jobs;

namespace BatchAspire.Cli;

/// <summary>What the process exit code means, for scripts. Documented in every --help and in README.md.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Bad arguments, an invalid input file, or a request the server rejected (4xx).</summary>
    public const int InvalidInput = 1;
    /// <summary>The job ended failed or expired.</summary>
    public const int JobFailed = 2;
    public const int JobCancelled = 3;
    /// <summary>The server cannot be reached, rejected the API key, or failed (5xx).</summary>
    public const int Unavailable = 4;
    /// <summary>Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    public const string Help =
        "Exit codes: 0 done (job completed; single items may still have failed, see --errors), " +
        "1 invalid arguments or input, or the server rejected the request, 2 job failed or expired, 3 job cancelled, " +
        "4 server unreachable, API key rejected or server error, 130 interrupted (Ctrl+C).";

    public static int ForJob(Job job) => job.Status switch
    {
        JobStatus.Completed => Success,
        JobStatus.Cancelled or JobStatus.Cancelling => JobCancelled,
        JobStatus.Failed or JobStatus.Expired => JobFailed,
        _ => Success,
    };
}

/// <summary>A failure the user can act on: its message is printed as is, and the process exits with the code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.InvalidInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The request field the server named as wrong (e.g. <c>items[3].body.model</c>), if any.</summary>
    public string? Param { get; init; }
}
