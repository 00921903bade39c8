using System.Collections;
using BatchAspire.EmbeddedStore;

namespace BatchAspire.AppHost;

/// <summary>
/// The whole local environment: a store (embedded Garnet unless a Redis is given), the Api and N Workers,
/// each given the environment an Aspire AppHost would give it.
/// </summary>
public static class Launcher
{
    public static async Task<int> RunAsync(LauncherOptions options, CancellationToken stopping)
    {
        EmbeddedGarnet? garnet = null;
        var redis = options.Redis;
        if (string.IsNullOrWhiteSpace(redis))
        {
            var dataDir = Path.GetFullPath(options.DataDir);
            garnet = EmbeddedGarnet.Start(dataDir);
            redis = garnet.ConnectionString;
            Console.WriteLine($"Store:     embedded Garnet on {redis} (data in {dataDir})");
        }
        else
        {
            Console.WriteLine($"Store:     Redis at {RedactPassword(redis)}");
        }

        try
        {
            var apiUrl = $"http://localhost:{options.ApiPort}";
            var children = new List<ChildProcess>
            {
                new("api", ProjectPaths.Dll("ApiProject", "BatchAspire.Api"), ProjectPaths.ProjectDirectory("ApiProject"),
                    Environment(redis, apiUrl, "api", "api", apiUrl)),
            };
            for (var i = 1; i <= options.Workers; i++)
            {
                children.Add(new($"worker-{i}", ProjectPaths.Dll("WorkerProject", "BatchAspire.Worker"), ProjectPaths.ProjectDirectory("WorkerProject"),
                    Environment(redis, apiUrl, "worker", $"worker-{i}", null)));
            }

            PrintWelcome(apiUrl, options.Workers);
            await Task.WhenAll(children.Select(c => c.SuperviseAsync(stopping)));
            Console.WriteLine("Stopped.");
            return 0;
        }
        finally
        {
            garnet?.Dispose();
        }
    }

    /// <summary>The launcher's own environment passes through; the Aspire-convention variables are set on top.</summary>
    public static Dictionary<string, string> Environment(string redis, string apiUrl, string service, string instance, string? listenUrl)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        }
        env["ConnectionStrings__redis"] = redis;
        env["services__api__http__0"] = apiUrl;
        env["ASPNETCORE_ENVIRONMENT"] = env.GetValueOrDefault("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } e ? e : "Development";
        env["DOTNET_ENVIRONMENT"] = env["ASPNETCORE_ENVIRONMENT"];
        env["OTEL_SERVICE_NAME"] = service;
        env["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instance}";
        if (env.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"))
        {
            env.TryAdd("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
            env.TryAdd("OTEL_BLRP_SCHEDULE_DELAY", "1000");
            env.TryAdd("OTEL_BSP_SCHEDULE_DELAY", "1000");
            env.TryAdd("OTEL_METRIC_EXPORT_INTERVAL", "1000");
        }
        if (listenUrl is not null) env["ASPNETCORE_URLS"] = listenUrl;
        else env.Remove("ASPNETCORE_URLS");
        return env;
    }

    private static void PrintWelcome(string apiUrl, int workers)
    {
        Console.WriteLine($"Api:       {apiUrl}  (dashboard {apiUrl}/, OpenAPI {apiUrl}/openapi/v1.json)");
        Console.WriteLine($"Workers:   {workers}");
        Console.WriteLine();
        Console.WriteLine("Submit a first batch to the built-in simulator:");
        Console.WriteLine($$$"""
              curl -s {{{apiUrl}}}/api/jobs -H 'Content-Type: application/json' -d '{"model":"sim-1","items":[{"custom_id":"a","body":{"messages":[{"role":"user","content":"Hello"}]}},{"custom_id":"b","body":{"messages":[{"role":"user","content":"Bonjour"}]}}]}'
            Then: curl -s {{{apiUrl}}}/api/jobs/<id>   and   curl -s {{{apiUrl}}}/api/jobs/<id>/results
            """);
        Console.WriteLine("Ctrl+C stops everything.");
    }

    private static string RedactPassword(string connectionString) =>
        string.Join(",", connectionString.Split(',').Select(p => p.TrimStart().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : p));
}
