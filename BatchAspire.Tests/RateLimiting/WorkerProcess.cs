using System.Diagnostics;
using System.Text;
using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.RateLimiting;

/// <summary>A real Worker process (the built BatchAspire.Worker.dll) on a test store; killed, by its own id, on dispose.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static WorkerProcess Start(ITestStore store, string prefix, IReadOnlyDictionary<string, string> settings)
    {
        var dll = Paths.Dll("BatchAspire.Worker");
        if (!File.Exists(dll)) throw new InvalidOperationException($"Build the Worker first: {dll} is missing.");
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["ConnectionStrings__redis"] = store.ConnectionString;
        info.Environment["BatchAspire__Store__KeyPrefix"] = prefix;
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["OTEL_SDK_DISABLED"] = "true";
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        return new WorkerProcess(Process.Start(info)!);
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: no shutdown, no flush, exactly what a crashed machine does.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
