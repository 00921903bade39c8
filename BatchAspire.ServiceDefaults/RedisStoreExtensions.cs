using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The shared Redis connection (Aspire's <c>AddRedisClient("redis")</c> contract: connection string
/// <c>ConnectionStrings:redis</c>), with a health check. A missing or unreachable store stops start-up.
/// </summary>
public static class RedisStoreExtensions
{
    public const string ConnectionName = "redis";

    public static TBuilder AddRedisStore<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
            Connect(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        // Resolve at start so a bad connection string fails the process now, not on first request.
        builder.Services.AddHostedService<RedisConnectionWarmup>();
        return builder;
    }

    public static IConnectionMultiplexer Connect(IConfiguration configuration, ILoggerFactory? loggerFactory = null)
    {
        var connectionString = configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "No Redis connection string. Set ConnectionStrings__redis (for example ConnectionStrings__redis=localhost:6379), " +
                "or start everything with `dotnet run --project BatchAspire.AppHost`, which provides an embedded store.");
        }

        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = Math.Max(options.ConnectTimeout, 5000);
        options.ClientName ??= AppDomain.CurrentDomain.FriendlyName;
        try
        {
            return ConnectionMultiplexer.Connect(options);
        }
        catch (RedisConnectionException ex)
        {
            var where = string.Join(",", options.EndPoints.Select(e => e.ToString()));
            loggerFactory?.CreateLogger("BatchAspire.Redis").LogCritical("Cannot reach Redis at {EndPoints}", where);
            throw new InvalidOperationException(
                $"Cannot reach Redis at {where} (from ConnectionStrings__redis). Start a Redis 7+ or Garnet server there, " +
                "or fix ConnectionStrings__redis.", ex);
        }
    }

    private sealed class RedisConnectionWarmup(IConnectionMultiplexer connection) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => connection.GetDatabase().PingAsync();
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer connection) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var latency = await connection.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:F1} ms");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("Redis did not answer PING", ex);
            }
        }
    }
}
