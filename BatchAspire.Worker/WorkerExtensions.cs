using BatchAspire.Core;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Queue;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace BatchAspire.Worker;

public static class WorkerExtensions
{
    /// <summary>The Worker's hosted services: scheduler loop, lease renewal, lease reaper, result writer.</summary>
    public static TBuilder AddBatchWorker<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddBatchCore();
        var services = builder.Services;
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new InFlightItems(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.MaxConcurrency));
        services.AddSingleton<JobBudgets>();
        services.AddSingleton<ItemProcessor>();
        services.AddSingleton<ResultWriter>();

        // Hosted services stop in reverse order: the writer (registered first) outlives the scheduler.
        services.AddHostedService<ResultWriterService>();
        services.AddSingleton<ItemScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<ItemScheduler>());
        services.AddHostedService<LeaseRenewalService>();
        services.AddHostedService<LeaseReaperService>();
        services.AddSingleton<Core.Modes.Economy.ProviderBatchRunner>();
        services.AddHostedService<EconomyPoller>();
        services.AddHealthChecks().AddCheck<SchedulerHealthCheck>("scheduler", tags: ["live"]);
        return builder;
    }

    private sealed class SchedulerHealthCheck(ItemScheduler scheduler, IOptions<WorkerOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            // The loop passes its top at least every MaxIdleWait when idle, or when a slot frees when busy.
            var silent = DateTimeOffset.UtcNow - scheduler.LastLoop;
            var limit = options.Value.LeaseDuration * 2;
            return Task.FromResult(silent < limit || scheduler.ExecuteTask is { IsCompleted: false }
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"Scheduler loop silent for {silent.TotalSeconds:0} s"));
        }
    }
}
