using System.Globalization;
using BatchAspire.Core.Jobs;
using Spectre.Console;

namespace BatchAspire.Cli.Progress;

/// <summary>How progress is shown: a live bar on a terminal, one line per change when piped, nothing with --json.</summary>
public enum ProgressOutput { Bar, Lines, Silent }

/// <summary>Shows a job's progress from a sequence of job snapshots, and returns the last one.</summary>
public sealed class JobProgressView(ProgressOutput output)
{
    public static ProgressOutput Choose(bool json) =>
        json ? ProgressOutput.Silent
        : !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive ? ProgressOutput.Bar
        : ProgressOutput.Lines;

    public async Task<Job?> ShowAsync(IAsyncEnumerable<Job> snapshots, CancellationToken cancellationToken)
    {
        var rate = new ThroughputMeter();
        Job? last = null;
        switch (output)
        {
            case ProgressOutput.Bar:
                await using (var e = snapshots.GetAsyncEnumerator(cancellationToken))
                {
                    if (!await e.MoveNextAsync()) return null;
                    // The id once, above the bar, so the figures beside the bar fit an 80-column terminal.
                    var first = e.Current;
                    AnsiConsole.MarkupLine($"[bold]{Markup.Escape(first.Id)}[/] ({first.Counts.Total} items{(first.Model is null ? "" : ", " + Markup.Escape(first.Model))})");
                    var stats = "";
                    await AnsiConsole.Progress()
                        .AutoClear(false)
                        .HideCompleted(false)
                        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 10 }, new PercentageColumn(), new TextColumn(() => stats))
                        .StartAsync(async ctx =>
                        {
                            var task = ctx.AddTask("starting", maxValue: 1);
                            do
                            {
                                var job = last = e.Current;
                                rate.Add(Done(job));
                                task.MaxValue = Math.Max(1, job.Counts.Total);
                                task.Value = Done(job);
                                task.Description = job.Status;
                                stats = Stats(job, rate, compact: true);
                                if (JobStatus.IsTerminal(job.Status)) task.StopTask();
                            }
                            while (await e.MoveNextAsync());
                        });
                }
                break;
            case ProgressOutput.Lines:
                string? previous = null;
                await foreach (var job in snapshots.WithCancellation(cancellationToken))
                {
                    last = job;
                    rate.Add(Done(job));
                    // One line per change of what matters; rate and ETA alone do not make a new line.
                    var key = $"{job.Status}|{job.Counts}|{job.Retries}|{job.RateLimited}";
                    if (key == previous) continue;
                    previous = key;
                    Console.Out.WriteLine(Describe(job, rate));
                }
                break;
            default:
                await foreach (var job in snapshots.WithCancellation(cancellationToken)) last = job;
                break;
        }
        return last;
    }

    public static long Done(Job job) => job.Counts.Completed + job.Counts.Failed;

    public static string Describe(Job job, ThroughputMeter rate) => $"{job.Id} {job.Status} · {Stats(job, rate)}";

    /// <summary>done/total, failures, rate, ETA, retries, 429s and cost: the figures a person watches.</summary>
    public static string Stats(Job job, ThroughputMeter rate, bool compact = false)
    {
        var c = job.Counts;
        var parts = new List<string> { compact ? $"{Done(job)}/{c.Total}" : $"{Done(job)}/{c.Total} done" };
        if (c.Failed > 0) parts.Add($"{c.Failed} failed");
        if (!JobStatus.IsTerminal(job.Status))
        {
            parts.Add(compact ? $"{rate.ItemsPerSecond.ToString("0", CultureInfo.InvariantCulture)}/s" : $"{rate.ItemsPerSecond.ToString("0.0", CultureInfo.InvariantCulture)} items/s");
            parts.Add($"ETA {Eta(c.Total - Done(job), rate.ItemsPerSecond)}");
        }
        parts.Add($"retries {job.Retries}");
        parts.Add($"429s {job.RateLimited}");
        parts.Add($"${job.CostUsd.ToString("0.######", CultureInfo.InvariantCulture)}");
        return string.Join(" · ", parts);
    }

    private static string Eta(long remaining, double perSecond)
    {
        if (remaining <= 0) return "0s";
        if (perSecond <= 0) return "--";
        var eta = TimeSpan.FromSeconds(Math.Min(remaining / perSecond, TimeSpan.FromDays(99).TotalSeconds));
        return eta.TotalHours >= 1 ? $"{(int)eta.TotalHours}h{eta.Minutes:00}m" : eta.TotalMinutes >= 1 ? $"{eta.Minutes}m{eta.Seconds:00}s" : $"{eta.Seconds}s";
    }
}

/// <summary>A column of plain text that changes as the run goes (the figures beside the bar).</summary>
public sealed class TextColumn(Func<string> text) : ProgressColumn
{
    public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(text());
}

/// <summary>Items per second over the last few seconds, so the rate follows changes (a 429 pause, a faster phase).</summary>
public sealed class ThroughputMeter
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly Queue<(long At, long Done)> _samples = new();
    private readonly TimeProvider _time;

    public ThroughputMeter(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public double ItemsPerSecond { get; private set; }

    public void Add(long done)
    {
        var now = _time.GetTimestamp();
        _samples.Enqueue((now, done));
        while (_samples.Count > 2 && _time.GetElapsedTime(_samples.Peek().At, now) > Window) _samples.Dequeue();
        var (firstAt, firstDone) = _samples.Peek();
        var seconds = _time.GetElapsedTime(firstAt, now).TotalSeconds;
        ItemsPerSecond = seconds > 0.2 ? Math.Max(0, (done - firstDone) / seconds) : ItemsPerSecond;
    }
}
