using System.Diagnostics;
using System.Reflection;

namespace BatchAspire.Bench;

/// <summary>A real Api or Worker process from the build output, with its peak RSS read from /proc.</summary>
public sealed class BenchProcess : IDisposable
{
    private readonly Process _process;

    private BenchProcess(Process process) => _process = process;

    public static string RepoRoot => Path.GetFullPath(Metadata("RepoRoot"));

    public static BenchProcess Start(string project, IDictionary<string, string> environment)
    {
        var dll = Path.Combine(RepoRoot, project, "bin", Metadata("Configuration"), "net10.0", project + ".dll");
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.Combine(RepoRoot, project),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in environment) info.Environment[k] = v;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [{project}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new BenchProcess(process);
    }

    /// <summary>Peak resident set size (VmHWM) in MiB.</summary>
    public double PeakRssMiB => ReadStatusKiB("VmHWM") / 1024.0;

    private double ReadStatusKiB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return double.NaN;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }

    private static string Metadata(string key) =>
        typeof(BenchProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;
}
