using System.Globalization;
using BatchAspire.Core.Providers;
using Microsoft.Extensions.Options;

namespace BatchAspire.Core.RateLimiting;

/// <summary>Limits of one dimension set; 0 means not limited by this set.</summary>
public sealed record ScopeLimits(int RequestsPerMinute, int TokensPerMinute, int MaxConcurrency)
{
    public static readonly ScopeLimits None = new(0, 0, 0);
    public bool Any => RequestsPerMinute > 0 || TokensPerMinute > 0 || MaxConcurrency > 0;
}

/// <summary>
/// Where a call's permit comes from: the limit scope (provider account + model, e.g. <c>openai/gpt-4o-mini</c>)
/// with its limits, and, when the job asked for less, the job's own limits within it.
/// </summary>
public sealed record PermitScope(string Scope, ScopeLimits Limits, string? JobId, ScopeLimits? JobLimits, TimeSpan PermitTtl);

/// <summary>Resolves an item's limit scope from configuration and its job's metadata (a job may ask for less, never more).</summary>
public sealed class RateLimitScopes(IOptions<ProvidersOptions> providers)
{
    public const string JobRpmKey = "batchaspire_rpm";
    public const string JobTpmKey = "batchaspire_tpm";
    public const string JobConcurrencyKey = "batchaspire_max_concurrency";

    /// <summary>
    /// The scope a call must get a permit from, or null when nothing limits it (the simulator without limits).
    /// A provider that announces its limits is always limited: conservatively until they are known.
    /// </summary>
    public PermitScope? Resolve(string provider, string model, string jobId, IReadOnlyDictionary<string, string>? metadata)
    {
        if (!providers.Value.TryGetValue(provider, out var options)) return null;
        var limits = ScopeLimitsOf(options, model);
        var job = JobLimits(metadata, limits);
        var simulated = string.Equals(options.Type, ProviderTypes.Simulated, StringComparison.OrdinalIgnoreCase);
        if (simulated && !limits.Any && job is null) return null;
        // A permit's concurrency slot outlives the longest possible call, then frees itself (crashed Worker).
        var ttl = options.Timeout + TimeSpan.FromSeconds(30);
        return new PermitScope($"{provider}/{model}", limits, job is null ? null : jobId, job, ttl);
    }

    public static ScopeLimits ScopeLimitsOf(ProviderOptions options, string model)
    {
        var p = options.Limits;
        var m = options.ModelLimits.TryGetValue(model, out var overrides) ? overrides : null;
        static int Pick(int model, int provider) => model > 0 ? model : provider;
        return new ScopeLimits(
            Pick(m?.RequestsPerMinute ?? 0, p.RequestsPerMinute),
            Pick(m?.TokensPerMinute ?? 0, p.TokensPerMinute),
            Pick(m?.MaxConcurrency ?? 0, p.MaxConcurrency));
    }

    /// <summary>The job's own limits where they are lower than the scope's (null when it asks for nothing lower).</summary>
    public static ScopeLimits? JobLimits(IReadOnlyDictionary<string, string>? metadata, ScopeLimits scope)
    {
        if (metadata is null) return null;
        static int Lower(int job, int scope) => job <= 0 ? 0 : scope > 0 && scope <= job ? 0 : job;
        var limits = new ScopeLimits(
            Lower(Read(metadata, JobRpmKey), scope.RequestsPerMinute),
            Lower(Read(metadata, JobTpmKey), scope.TokensPerMinute),
            Lower(Read(metadata, JobConcurrencyKey), scope.MaxConcurrency));
        return limits.Any ? limits : null;
    }

    private static int Read(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0;
}
