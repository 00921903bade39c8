using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace BatchAspire.Tests.Infrastructure;

/// <summary>The real Api (its Program, its middleware) on a test store with its own key prefix.</summary>
public sealed class ApiFactory(ITestStore store, string prefix, IDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public string Prefix { get; } = prefix;
    public ITestStore Store { get; } = store;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in TestHost.Settings(Store, Prefix)) builder.UseSetting(key, value);
        if (settings is not null)
        {
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }

    /// <summary>A Worker on the same store and prefix, in this process, for end-to-end runs.</summary>
    public IHost StartWorker(IDictionary<string, string?>? workerSettings = null)
    {
        var merged = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        if (workerSettings is not null) foreach (var (k, v) in workerSettings) merged[k] = v;
        var host = TestHost.Build(Store, Prefix, worker: true, merged);
        host.Start();
        return host;
    }
}
