using System.Diagnostics;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace BatchAspire.Tests.Cli;

/// <summary>
/// A real Api process on a loopback port (API key required) plus an in-process Worker, both on the shared test
/// Garnet under their own key prefix: what the CLI talks to.
/// </summary>
public sealed class LiveApi : IAsyncLifetime
{
    public const string ApiKey = "cli-test-key-5b8f";
    private Process? _api;
    private IHost? _worker;

    public string Url { get; private set; } = "";
    public string Prefix { get; } = TestStores.UniquePrefix();

    public IReadOnlyDictionary<string, string> CliEnvironment => new Dictionary<string, string>
    {
        ["BATCHASPIRE_URL"] = Url,
        ["BATCHASPIRE_API_KEY"] = ApiKey,
    };

    public async ValueTask InitializeAsync()
    {
        var store = TestStores.Get("garnet");
        Url = $"http://127.0.0.1:{TestStores.FreePort()}";
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Paths.ProjectDirectory("BatchAspire.Api"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Paths.Dll("BatchAspire.Api"));
        info.Environment["ConnectionStrings__redis"] = store.ConnectionString;
        info.Environment["ASPNETCORE_URLS"] = Url;
        info.Environment["BatchAspire__Store__KeyPrefix"] = Prefix;
        info.Environment["BatchAspire__Auth__Tenants__clitest__ApiKey"] = ApiKey;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        _api = Process.Start(info)!;
        _api.OutputDataReceived += (_, _) => { };
        _api.ErrorDataReceived += (_, _) => { };
        _api.BeginOutputReadLine();
        _api.BeginErrorReadLine();

        _worker = TestHost.Build(store, Prefix, worker: true);
        await _worker.StartAsync();

        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            if (_api.HasExited) throw new InvalidOperationException($"The Api exited with code {_api.ExitCode} at start.");
            try
            {
                if ((await http.GetAsync(Url + "/alive", TestContext.Current.CancellationToken)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"The Api did not answer on {Url} within 30 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync();
            _worker.Dispose();
        }
        if (_api is { HasExited: false })
        {
            _api.Kill(entireProcessTree: true);
            await _api.WaitForExitAsync();
        }
        _api?.Dispose();
    }
}
