using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BatchAspire.AppHost;

/// <summary>
/// One supervised child (the Api or a Worker): its output is prefixed with its name, a crash is reported
/// and the child restarted with backoff, and stopping sends SIGTERM first so it can shut down cleanly.
/// </summary>
public sealed partial class ChildProcess(string name, string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment)
{
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(15);
    private Process? _process;

    public string Name { get; } = name;

    public async Task SuperviseAsync(CancellationToken stopping)
    {
        var restarts = 0;
        while (!stopping.IsCancellationRequested)
        {
            var started = DateTimeOffset.UtcNow;
            _process = Start();
            try
            {
                await _process.WaitForExitAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                await StopAsync(_process);
                return;
            }

            var code = _process.ExitCode;
            // A child that ran a while before dying starts a fresh backoff series.
            restarts = DateTimeOffset.UtcNow - started > TimeSpan.FromMinutes(1) ? 1 : restarts + 1;
            var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, restarts - 1)));
            Console.Error.WriteLine($"[{Name}] exited with code {code}; restarting in {delay.TotalSeconds:0} s (restart #{restarts}).");
            try
            {
                await Task.Delay(delay, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private Process Start()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var (key, value) in environment) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Out.WriteLine($"[{Name}] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{Name}] {e.Data}"); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task StopAsync(Process process)
    {
        if (process.HasExited) return;
        if (!OperatingSystem.IsWindows()) _ = Kill(process.Id, 15); // SIGTERM: the .NET host stops gracefully
        else process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(GracefulStop);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
