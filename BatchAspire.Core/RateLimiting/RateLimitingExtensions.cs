using BatchAspire.Core.Jobs;
using BatchAspire.Core.Retries;
using Microsoft.Extensions.DependencyInjection;

namespace BatchAspire.Core.RateLimiting;

public static class RateLimitingExtensions
{
    /// <summary>The distributed limiter (DESIGN.md §6) and the provider-call pipelines (§7).</summary>
    public static IServiceCollection AddBatchRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RateLimitStore>();
        services.AddSingleton<RateLimitScopes>();
        services.AddSingleton<TokenEstimator>();
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<JobRunSettingsCache>();
        services.AddSingleton<ProviderCallPipelines>();
        services.AddSingleton<Jobs.IRateLimitHeadroom, RateLimitHeadroom>();
        return services;
    }
}
