using System.Diagnostics;
using System.Text;

namespace BatchAspire.Tests.Infrastructure;

/// <summary>The real Api as a child process on a free loopback port (as the AppHost starts it), stopped on dispose.</summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public string Url { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    private ApiProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public static async Task<ApiProcess> StartAsync(ITestStore store, string prefix, IDictionary<string, string> environment)
    {
        var url = $"http://127.0.0.1:{TestStores.FreePort()}";
        var start = new ProcessStartInfo("dotnet", [Paths.Dll("BatchAspire.Api")])
        {
            WorkingDirectory = Paths.ProjectDirectory("BatchAspire.Api"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ConnectionStrings__redis"] = store.ConnectionString;
        start.Environment["BatchAspire__Store__KeyPrefix"] = prefix;
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (k, v) in environment) start.Environment[k] = v;

        var process = Process.Start(start)!;
        var api = new ApiProcess(process, url);
        process.OutputDataReceived += (_, e) => api.Append(e.Data);
        process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 150; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"The Api exited with {process.ExitCode}:\n{api.Output}");
            try
            {
                if ((await http.GetAsync(url + "/health")).IsSuccessStatusCode) return api;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        await api.DisposeAsync();
        throw new InvalidOperationException($"The Api did not become healthy at {url}:\n{api.Output}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
