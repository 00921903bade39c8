using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BatchAspire.FakeProvider;

/// <summary>
/// A running fake provider on loopback. Start one per test:
/// <code>await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequestsPerMinute = 60 });</code>
/// and point an OpenAI client at <see cref="BaseUrl"/>.
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FakeProviderStats _stats;
    private readonly LimitEnforcer _limits;

    private FakeProviderServer(WebApplication app, FakeProviderOptions options, Uri rootUrl)
    {
        _app = app;
        Options = options;
        RootUrl = rootUrl;
        _stats = app.Services.GetRequiredService<FakeProviderStats>();
        _limits = app.Services.GetRequiredService<LimitEnforcer>();
    }

    /// <summary>The live options; change them at any time to change behaviour.</summary>
    public FakeProviderOptions Options { get; }

    /// <summary>Server root, e.g. <c>http://127.0.0.1:41234/</c> (where <c>/stats</c> lives).</summary>
    public Uri RootUrl { get; }

    /// <summary>OpenAI base URL, e.g. <c>http://127.0.0.1:41234/v1</c>.</summary>
    public string BaseUrl => new Uri(RootUrl, "v1").ToString();

    /// <summary>A fresh snapshot on every read.</summary>
    public FakeProviderStatsSnapshot Stats => _stats.Snapshot(_limits.InFlight);

    public void ResetStats() => _stats.Reset();

    /// <summary>Forget past admissions, as if the provider had been idle for a minute.</summary>
    public void ResetLimitWindows() => _limits.ClearWindows();

    /// <param name="timeProvider">Clock of the limit windows and outages (latency always uses real time).</param>
    public static async Task<FakeProviderServer> StartAsync(
        FakeProviderOptions? options = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new FakeProviderOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeProviderServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseFakeProviderKestrel(options);
        builder.Services.AddFakeProvider(options, timeProvider ?? TimeProvider.System);

        var app = builder.Build();
        app.MapFakeProvider();
        await app.StartAsync(cancellationToken);

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var root = new UriBuilder(bound) { Path = "/" };
        if (root.Host is "0.0.0.0" or "[::]")
        {
            root.Host = "127.0.0.1";
        }

        return new FakeProviderServer(app, options, root.Uri);
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires or the host is told to stop (SIGTERM, Ctrl+C).</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        var stopping = _app.Lifetime.ApplicationStopping;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
