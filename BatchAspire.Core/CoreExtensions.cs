using BatchAspire.Core.Batches;
using BatchAspire.Core.Files;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Queue;
using BatchAspire.Core.RateLimiting;
using BatchAspire.Core.Retries;
using BatchAspire.Core.Store;
using BatchAspire.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace BatchAspire.Core;

public static class CoreExtensions
{
    /// <summary>The shared domain: store, scripts, providers, retries. Expects an <c>IConnectionMultiplexer</c>.</summary>
    public static TBuilder AddBatchCore<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.TryAddTimeProvider();
        services.AddOptions<StoreOptions>().BindConfiguration(StoreOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetryOptions>().BindConfiguration(RetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<JobLimitsOptions>().BindConfiguration(JobLimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FilesOptions>().BindConfiguration(FilesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ProvidersOptions>().BindConfiguration(ProvidersOptions.Section).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<ProvidersOptions>, ProviderDefaults>();
        services.AddSingleton<IValidateOptions<ProvidersOptions>, ProvidersValidation>();

        services.AddSingleton(sp => new RedisKeys(sp.GetRequiredService<IOptions<StoreOptions>>().Value.KeyPrefix));
        services.AddSingleton<JobScripts>();
        services.AddSingleton<JobStore>();
        services.AddSingleton<JobSubmission>();
        services.AddSingleton<FileStore>();
        services.AddSingleton<BatchCreation>();
        services.AddSingleton<WorkQueue>();
        services.AddSingleton<RetryPolicy>();
        services.AddSingleton<ProviderRegistry>();
        services.AddSingleton<PricingTable>();
        services.AddSingleton<Pricing.TokenEstimator>();
        services.AddSingleton<CallEstimator>();
        services.AddSingleton<JobEstimator>();
        services.AddSingleton<TenantUsageStore>();
        services.AddOptions<Modes.ModeOptions>().BindConfiguration(Modes.ModeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Modes.ModePlanner>();
        services.AddSingleton<Modes.Economy.ProviderBatchClients>();
        services.AddSingleton<Modes.Economy.ProviderBatchStore>();
        services.AddBatchRateLimiting();

#pragma warning disable EXTEXP0001 // experimental, but the documented way to opt one client out of ConfigureHttpClientDefaults
        services.AddHttpClient(ProviderRegistry.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = int.MaxValue,
                EnableMultipleHttp2Connections = true,
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan)
            // Retries of provider calls belong to the Worker's policy alone (DESIGN.md §7: never retry twice).
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.AddMetrics();
        services.AddSingleton<JobTraceContexts>();
        services.AddHostedService<BatchGauges>();
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(BatchTelemetry.SourceName));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(BatchTelemetry.SourceName));
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }
}
