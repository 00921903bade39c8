using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace BatchAspire.Tests.V1;

/// <summary>
/// A real Api process (Kestrel on a loopback port, started from its built dll) plus an in-process Worker,
/// on one Garnet key prefix. Small limits so each limit can be crossed cheaply; two tenants.
/// </summary>
public sealed class V1ApiFixture : IAsyncLifetime
{
    public const string KeyA = "sk-tenant-a-test";
    public const string KeyB = "sk-tenant-b-test";
    public const int MaxLines = 50;
    public const int MaxBytes = 64 * 1024;
    public const int MaxItems = 40;

    private Process? _api;
    private IHost? _worker;
    private readonly StringBuilder _log = new();

    public ITestStore Store { get; } = TestStores.Get("garnet");
    public string Prefix { get; } = TestStores.UniquePrefix();
    public string BaseUrl { get; private set; } = "";

    /// <summary>Settings both processes share: limits, and a slow simulated provider for models <c>slow-*</c>.</summary>
    public static Dictionary<string, string?> SharedSettings => new()
    {
        ["BatchAspire:Files:MaxLines"] = MaxLines.ToString(),
        ["BatchAspire:Files:MaxBytes"] = MaxBytes.ToString(),
        ["BatchAspire:Jobs:MaxItems"] = MaxItems.ToString(),
        ["BatchAspire:Providers:slowsim:Type"] = "simulated",
        ["BatchAspire:Providers:slowsim:Models:0"] = "slow-*",
        ["BatchAspire:Providers:slowsim:LatencyMs"] = "60000",
    };

    public async ValueTask InitializeAsync()
    {
        var port = TestStores.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var dll = Paths.Dll("BatchAspire.Api");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__redis"] = Store.ConnectionString;
        start.Environment["ASPNETCORE_URLS"] = BaseUrl;
        start.Environment["BatchAspire__Store__KeyPrefix"] = Prefix;
        start.Environment["BatchAspire__Auth__Tenants__a__ApiKey"] = KeyA;
        start.Environment["BatchAspire__Auth__Tenants__b__ApiKey"] = KeyB;
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (key, value) in SharedSettings) start.Environment[key.Replace(":", "__")] = value;
        _api = Process.Start(start)!;
        _api.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _api.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _api.BeginOutputReadLine();
        _api.BeginErrorReadLine();

        var settings = SharedSettings;
        settings["BatchAspire:Worker:ReapInterval"] = "00:00:00.200";
        settings["BatchAspire:Worker:MaxIdleWait"] = "00:00:00.020";
        _worker = TestHost.Build(Store, Prefix, worker: true, settings);
        await _worker.StartAsync();

        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            if (_api.HasExited) throw new InvalidOperationException($"The Api exited with {_api.ExitCode}:\n{Log}");
            try
            {
                if ((await http.GetAsync(BaseUrl + "/alive")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"The Api did not start on {BaseUrl}:\n{Log}");
    }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public HttpClient Client(string key = KeyA)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is { HasExited: false })
        {
            _api.Kill(entireProcessTree: true);
            await _api.WaitForExitAsync();
        }
        _api?.Dispose();
        if (_worker is not null)
        {
            await _worker.StopAsync();
            _worker.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class V1ApiCollection : ICollectionFixture<V1ApiFixture>
{
    public const string Name = "V1 Api process";
}

/// <summary>Small helpers for driving the OpenAI-shaped endpoints over HTTP.</summary>
public static class V1Http
{
    public static async Task<(int Status, JsonElement Body)> UploadAsync(HttpClient client, string content, string purpose = "batch", string filename = "input.jsonl")
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(purpose), "purpose");
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", filename);
        return await ReadAsync(await client.PostAsync("/v1/files", form));
    }

    public static async Task<(int Status, JsonElement Body)> PostJsonAsync(HttpClient client, string path, object body) =>
        await ReadAsync(await client.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json")));

    public static async Task<(int Status, JsonElement Body)> GetAsync(HttpClient client, string path) => await ReadAsync(await client.GetAsync(path));

    public static async Task<(int Status, JsonElement Body)> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static string Line(string customId, string model = "sim-small", string? extra = null, string url = "/v1/chat/completions", string method = "POST") =>
        "{\"custom_id\":\"" + customId + "\",\"method\":\"" + method + "\",\"url\":\"" + url + "\",\"body\":{\"model\":\"" + model +
        "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi " + customId + "\"}]" + (extra is null ? "" : "," + extra) + "}}";

    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    /// <summary>Polls a batch until it reaches a terminal status (or <paramref name="timeout"/> passes).</summary>
    public static async Task<JsonElement> WaitForBatchAsync(HttpClient client, string batchId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (status, batch) = await GetAsync(client, $"/v1/batches/{batchId}");
            Assert.Equal(200, status);
            if (batch.GetProperty("status").GetString() is "completed" or "failed" or "cancelled" or "expired") return batch;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Batch {batchId} still {batch.GetProperty("status")} after {timeout}.");
            await Task.Delay(50);
        }
    }
}
