using BatchAspire.Core;
using BatchAspire.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace BatchAspire.Tests.Infrastructure;

/// <summary>Builds the real Core (and optionally Worker) service graph on a test store, with its own key prefix.</summary>
public static class TestHost
{
    public static Dictionary<string, string?> Settings(ITestStore store, string prefix) => new()
    {
        ["ConnectionStrings:redis"] = store.ConnectionString,
        ["BatchAspire:Store:KeyPrefix"] = prefix,
    };

    public static IHost Build(ITestStore store, string prefix, bool worker, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(Settings(store, prefix));
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(store.Connection);
        builder.Services.AddLogging();
        if (worker) builder.AddBatchWorker();
        else builder.AddBatchCore();
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}
