using System.Collections.Concurrent;
using BatchAspire.Core.Providers;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace BatchAspire.Core.Retries;

/// <summary>
/// The in-process resilience of one provider call (DESIGN.md §7), one named Polly pipeline per provider: a short
/// retry of transient outcomes (5xx, timeouts, resets) for sub-second hiccups, and a per-attempt timeout. Anything
/// longer goes to the durable delayed set, never both: the provider's HTTP client has no resilience handler.
/// </summary>
public sealed class ProviderCallPipelines(IOptions<ProvidersOptions> providers, IOptions<RetryOptions> retries, TimeProvider time)
{
    /// <summary>How many in-process retries this execution may still make (bounded by the item's remaining attempts).</summary>
    public static readonly ResiliencePropertyKey<int> RetriesAllowed = new("batchaspire.retries_allowed");

    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(24);
    private readonly ConcurrentDictionary<string, ResiliencePipeline<ProviderResponse>> _pipelines = new(StringComparer.OrdinalIgnoreCase);

    public ResiliencePipeline<ProviderResponse> For(string provider) => _pipelines.GetOrAdd(provider, Build);

    private ResiliencePipeline<ProviderResponse> Build(string provider)
    {
        var o = retries.Value;
        var timeout = providers.Value.TryGetValue(provider, out var p) ? p.Timeout : TimeSpan.FromMinutes(5);
        timeout = timeout < MinTimeout ? MinTimeout : timeout > MaxTimeout ? MaxTimeout : timeout;
        return new ResiliencePipelineBuilder<ProviderResponse> { Name = $"provider-call:{provider}", TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<ProviderResponse>
            {
                // Reads the classified outcome: a 429 or a quota error is never retried here.
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result is { Outcome: ProviderOutcome.Transient }
                    && args.AttemptNumber < args.Context.Properties.GetValue(RetriesAllowed, 0)),
                MaxRetryAttempts = Math.Max(1, o.InProcessRetries),
                Delay = o.InProcessDelay,
                MaxDelay = TimeSpan.FromSeconds(1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .AddTimeout(timeout)
            .Build();
    }
}
