using System.Diagnostics;
using System.Text;
using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.Cli;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>The built `batchaspire` CLI, run as a real process with a controlled environment.</summary>
public static class CliProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static string Dll => Path.Combine(Paths.RepoRoot, "BatchAspire.Cli", "bin", Paths.Configuration, "net10.0", "batchaspire.dll");

    /// <summary>The environment of a CLI process: the test's own, without any BatchAspire server settings or config file.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("BATCHASPIRE_", StringComparison.Ordinal) || k.StartsWith("BatchAspire__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        info.Environment["XDG_CONFIG_HOME"] = Path.Combine(workingDirectory, ".config");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        return info;
    }

    public static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, env, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"batchaspire {string.Join(' ', args)} did not finish within {Timeout}.\n{await stderr}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static string TempDirectory() => Directory.CreateTempSubdirectory("batchaspire-cli-").FullName;

    public static string WriteLines(string directory, string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }

    public static string[] ReadLines(string path) => File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToArray() : [];
}
