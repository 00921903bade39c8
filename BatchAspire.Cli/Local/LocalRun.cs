using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using BatchAspire.Cli.Commands;
using BatchAspire.Cli.Input;
using BatchAspire.Cli.Progress;
using BatchAspire.Cli.Results;
using BatchAspire.Core;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Queue;
using BatchAspire.Core.Store;
using BatchAspire.EmbeddedStore;
using BatchAspire.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using StackExchange.Redis;

namespace BatchAspire.Cli.Local;

/// <summary>What <c>batchaspire run</c> was asked for.</summary>
public sealed record RunSettings(
    FileInfo Input, InputFormat InputFormat, bool SkipInvalid,
    string Output, string? Errors, ResultFormat Format, string? Images,
    string? Model, int? RequestsPerMinute, int? TokensPerMinute, int? Concurrency, decimal? Budget,
    string StateDir, bool Json, bool Verbose);

/// <summary>
/// A batch run in this process with no server: embedded Garnet (state kept on disk, so a run resumes), the
/// Worker's hosted services, the job submitted through <see cref="JobSubmission"/>, and results written to the
/// output files as they finish. Running the same command again continues the same job.
/// </summary>
public static class LocalRun
{
    public const string Tenant = "local";
    private const int ReadChunk = 1000;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(RunSettings s, CancellationToken cancellationToken)
    {
        // The whole file is checked before anything starts: a bad file creates no state and no job.
        var input = await CliShared.ReadInputAsync(s.Input, s.InputFormat, s.Model, s.SkipInvalid, cancellationToken);
        var metadata = CliShared.Metadata(null, s.Budget);

        var stateDir = Path.GetFullPath(s.StateDir);
        Directory.CreateDirectory(stateDir);
        using var runLock = Lock(stateDir);
        using var garnet = EmbeddedGarnet.Start(Path.Combine(stateDir, "store"), extraArguments: ["--index", "16m"]);
        using var host = BuildHost(s, garnet.ConnectionString);

        var store = host.Services.GetRequiredService<JobStore>();
        var state = RunState.Load(stateDir);
        var sameInput = state is not null && state.Matches(s.Input);
        var existing = sameInput ? await store.GetAnyAsync(state!.JobId) : null;
        if (existing is not null) await ExpireOldLeasesAsync(host.Services, existing.Id);

        var resuming = existing is not null;
        using var files = ResultFiles.Open(s.Output, s.Errors, s.Format, existing?.Id ?? "", s.Images, resume: sameInput);
        string jobId;
        long offset;
        if (existing is not null)
        {
            jobId = existing.Id;
            // Fewer results in the files than the saved offset (an output file moved or deleted): rewrite from the start.
            offset = files.Count >= state!.ResultsOffset ? state.ResultsOffset : 0;
            Note(s, $"Resuming {jobId}: {files.Count} of {existing.Counts.Total} results already in the output.");
        }
        else
        {
            if (state is not null && !sameInput) Note(s, "The input file changed since the last run: starting a new job.");
            // The store lost the job but the files kept results: send only what has none.
            var items = input.Items.Where(i => !files.Contains(i.CustomId)).ToList();
            if (items.Count == 0)
            {
                Note(s, $"Every item of {s.Input.Name} already has a result in the output files: nothing to run.");
                return ExitCodes.Success;
            }
            jobId = await SubmitAsync(host.Services, input, items, s.Model, metadata);
            files.JobId = jobId;
            offset = 0;
        }
        RunState.For(jobId, s.Input, offset).Save(stateDir);

        await host.StartAsync(cancellationToken);
        var budgetExceeded = false;
        Job? last = null;
        try
        {
            last = await new JobProgressView(JobProgressView.Choose(s.Json)).ShowAsync(FollowAsync(cancellationToken), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping the Worker releases items in flight; results recorded meanwhile are written below.
            await StopAsync(host);
            await DrainAsync();
            Note(s, $"Interrupted: {files.Count} of {input.Items.Count} results written. Run the same command again to resume.", "yellow");
            return ExitCodes.Interrupted;
        }
        await StopAsync(host);
        await DrainAsync();

        if (last is null) throw new CliException($"Job {jobId} disappeared from the local store.", ExitCodes.Unavailable);
        if (s.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(last, BatchJson.Options));
        }
        else
        {
            WatchCommand.PrintSummary(last, hintResults: false);
            CliShared.Error.WriteLine($"Wrote {files.Succeeded} succeeded and {files.Failed} failed results this run to {s.Output}{(s.Errors is null ? "" : $" and {s.Errors}")}" +
                (resuming ? " (resumed)." : "."));
            if (budgetExceeded) Note(s, $"Stopped: the cost passed the budget of ${s.Budget?.ToString(CultureInfo.InvariantCulture)}.", "yellow");
        }
        return ExitCodes.ForJob(last);

        async IAsyncEnumerable<Job> FollowAsync([EnumeratorCancellation] CancellationToken ct = default)
        {
            while (true)
            {
                var consumed = await WriteNewResultsAsync();
                var job = await store.GetAnyAsync(jobId) ?? throw new CliException($"Job {jobId} disappeared from the local store.", ExitCodes.Unavailable);
                if (s.Budget is { } budget && job.CostUsd > budget && !JobStatus.IsTerminal(job.Status) && job.Status != JobStatus.Cancelling)
                {
                    budgetExceeded = true;
                    job = await store.CancelAsync(Tenant, jobId) ?? job;
                }
                if (JobStatus.IsTerminal(job.Status))
                {
                    await DrainAsync();
                    yield return job;
                    yield break;
                }
                yield return job;
                if (consumed < ReadChunk) await Task.Delay(Poll, cancellationToken);
            }
        }

        async Task DrainAsync()
        {
            while (await WriteNewResultsAsync() > 0) { }
        }

        async Task<int> WriteNewResultsAsync()
        {
            var (lines, consumed) = await store.ReadResultsInCompletionOrderAsync(jobId, offset, ReadChunk);
            if (consumed == 0) return 0;
            foreach (var line in lines) files.Write(line);
            files.Flush();
            offset += consumed;
            RunState.For(jobId, s.Input, offset).Save(stateDir);
            return consumed;
        }
    }

    private static IHost BuildHost(RunSettings s, string redis)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "batchaspire-run" });
        // Providers and keys come from the same settings as the server's: BatchAspire__Providers__*, OPENAI_API_KEY, ...
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(Overrides(s, redis, builder.Configuration));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(s.Verbose ? LogLevel.Information : LogLevel.Error);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = StopTimeout);
        // Ctrl+C belongs to the command line (it cancels the run, which then stops this host).
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.AddRedisStore();
        builder.AddBatchWorker();
        return builder.Build();
    }

    private static Dictionary<string, string?> Overrides(RunSettings s, string redis, IConfiguration configuration)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
        };
        if (s.Concurrency is { } concurrency)
        {
            settings[WorkerOptions.Section + ":MaxConcurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
            settings[WorkerOptions.Section + ":LeaseBatchSize"] = Math.Min(concurrency, 200).ToString(CultureInfo.InvariantCulture);
        }
        // One run is one job, so a limit set on every provider binds exactly the providers the job uses.
        var providers = configuration.GetSection(ProvidersOptions.Section).GetChildren().Select(c => c.Key).Concat(["openai", "sim"]).Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in providers)
        {
            var limits = $"{ProvidersOptions.Section}:{provider}:Limits:";
            if (s.RequestsPerMinute is { } rpm) settings[limits + "RequestsPerMinute"] = rpm.ToString(CultureInfo.InvariantCulture);
            if (s.TokensPerMinute is { } tpm) settings[limits + "TokensPerMinute"] = tpm.ToString(CultureInfo.InvariantCulture);
        }
        return settings;
    }

    private static async Task<string> SubmitAsync(IServiceProvider services, InputFile input, List<InputItem> items, string? model, Dictionary<string, string> metadata)
    {
        var request = new JobRequest
        {
            Model = model,
            Mode = "fast",
            Items = [.. items.Select(i => new JobItemRequest { CustomId = i.CustomId, Url = i.Url, Body = i.Body })],
            Metadata = metadata.Count > 0 ? metadata : null,
        };
        var (job, error) = services.GetRequiredService<JobSubmission>().Validate(Tenant, request);
        if (error is not null)
        {
            // Positions are in the submitted list, which may leave out items already done: map through it.
            var param = error.Param;
            if (param is not null && param.StartsWith("items[", StringComparison.Ordinal) && param.IndexOf(']') is var end and > 6
                && int.TryParse(param[6..end], out var index) && index < items.Count)
            {
                throw new CliException($"{input.Path}:{items[index].Line}: {error.Message} ({error.Code})");
            }
            throw new CliException($"{error.Message} ({error.Code})");
        }
        await services.GetRequiredService<JobStore>().CreateAsync(job!);
        return job!.Id;
    }

    /// <summary>
    /// Leases found at start belong to a run that was killed (this process is the only Worker of this store, the lock
    /// says so): expire them now, so their items go back to the queue at once rather than after the lease time.
    /// </summary>
    private static async Task ExpireOldLeasesAsync(IServiceProvider services, string jobId)
    {
        var db = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var leased = services.GetRequiredService<RedisKeys>().JobLeased(jobId);
        var members = await db.SortedSetRangeByRankAsync(leased);
        if (members.Length == 0) return;
        await db.SortedSetAddAsync(leased, [.. members.Select(m => new SortedSetEntry(m, 0))], SortedSetWhen.Exists);
        var queue = services.GetRequiredService<WorkQueue>();
        while ((await queue.ReapExpiredLeasesAsync(jobId)).Reaped > 0) { }
    }

    private static async Task StopAsync(IHost host)
    {
        using var timeout = new CancellationTokenSource(StopTimeout);
        await host.StopAsync(timeout.Token);
    }

    private static FileStream Lock(string stateDir)
    {
        try
        {
            return new FileStream(Path.Combine(stateDir, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new CliException($"Another `batchaspire run` is using {stateDir}. Wait for it, or pass a different --state-dir.");
        }
    }

    private sealed class CommandLineLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static void Note(RunSettings s, string message, string color = "grey")
    {
        if (!s.Json) CliShared.Error.MarkupLine($"[{color}]{Markup.Escape(message)}[/]");
    }
}
