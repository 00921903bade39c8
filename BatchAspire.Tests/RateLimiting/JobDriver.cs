using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.RateLimiting;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BatchAspire.Tests.RateLimiting;

/// <summary>Submits jobs and reads them back through the real Core services (what the Api does), on one test prefix.</summary>
public sealed class JobDriver : IDisposable
{
    private readonly IHost _host;

    public JobDriver(ITestStore store, string prefix, IDictionary<string, string?>? settings = null)
    {
        Store = store;
        Prefix = prefix;
        _host = TestHost.Build(store, prefix, worker: false, settings);
    }

    public ITestStore Store { get; }
    public string Prefix { get; }
    public JobStore Jobs => _host.Services.GetRequiredService<JobStore>();
    public RateLimitStore Limits => _host.Services.GetRequiredService<RateLimitStore>();

    public async Task<Job> SubmitAsync(string model, IEnumerable<(string CustomId, object Body)> items, Dictionary<string, string>? metadata = null)
    {
        var request = new JobRequest
        {
            Model = model,
            Items = [.. items.Select(i => new JobItemRequest { CustomId = i.CustomId, Body = JsonSerializer.SerializeToElement(i.Body) })],
            Metadata = metadata,
        };
        var (job, error) = await _host.Services.GetRequiredService<JobSubmission>().SubmitAsync("tests", request);
        return job ?? throw new InvalidOperationException($"Job rejected: {error}");
    }

    public static object Chat(string model, string prompt, int? maxTokens = null) => maxTokens is { } max
        ? new { model, messages = new[] { new { role = "user", content = prompt } }, max_tokens = max }
        : new { model, messages = new[] { new { role = "user", content = prompt } } };

    /// <summary>Waits until the job reaches a final status (or the timeout: then the last state is returned for the assertion to show).</summary>
    public async Task<Job> WaitFinishedAsync(string jobId, TimeSpan timeout, Func<Job, bool>? until = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = (await Jobs.GetAnyAsync(jobId))!;
            if ((until?.Invoke(job) ?? JobStatus.IsTerminal(job.Status)) || DateTime.UtcNow > deadline) return job;
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    public async Task<List<JsonElement>> ResultsAsync(string jobId, int total)
    {
        var raw = await Jobs.ReadResultsInOrderAsync(jobId, 0, total);
        return [.. raw.Select(r => JsonDocument.Parse(r).RootElement)];
    }

    public void Dispose() => _host.Dispose();
}
