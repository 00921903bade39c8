using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace BatchAspire.FakeProvider;

/// <summary>Wiring of the fake: its services, its Kestrel setup and its routes.</summary>
internal static class FakeProviderExtensions
{
    /// <summary>
    /// Registers the referee's parts. The clock is passed to them directly rather than registered
    /// as <see cref="TimeProvider"/>, so a test's fake clock never reaches ASP.NET's own timers.
    /// </summary>
    public static IServiceCollection AddFakeProvider(this IServiceCollection services, FakeProviderOptions options, TimeProvider time)
    {
        var stats = new FakeProviderStats();
        var limits = new LimitEnforcer(options, stats, time);
        var simulation = new ProviderSimulation(options, stats, limits, new FaultInjector(options), time);
        return services
            .AddSingleton(options)
            .AddSingleton(stats)
            .AddSingleton(limits)
            .AddSingleton(simulation)
            .AddSingleton(new BatchSimulation(options, time));
    }

    /// <summary>Listen on the configured address with no connection caps: benchmarks open 10,000 at once.</summary>
    public static IWebHostBuilder UseFakeProviderKestrel(this IWebHostBuilder webHost, FakeProviderOptions options)
    {
        var address = IPAddress.Parse(options.Host);
        return webHost
            .UseSockets(sockets => sockets.Backlog = 10_000)
            .ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxConcurrentConnections = null;
                kestrel.Limits.MaxConcurrentUpgradedConnections = null;
                kestrel.Limits.Http2.MaxStreamsPerConnection = 1_000;
                kestrel.Listen(address, options.Port);
            });
    }

    public static IEndpointRouteBuilder MapFakeProvider(this IEndpointRouteBuilder routes)
    {
        routes.MapOpenAIEndpoints();
        routes.MapAnthropicEndpoints();
        routes.MapGeminiEndpoints();
        routes.MapOpenAIBatchEndpoints();
        routes.MapAnthropicBatchEndpoints();
        routes.MapGeminiBatchEndpoints();
        routes.MapStatsEndpoints();
        routes.MapAdminEndpoints();
        return routes;
    }
}
