using System.Diagnostics;
using System.Text.Json;

namespace BatchAspire.Tests.Cli;

/// <summary>`batchaspire run`: the engine in the CLI process on embedded Garnet, no server.</summary>
public sealed class CliRunTests
{
    private readonly string _dir = CliProcess.TempDirectory();

    private string StateDir => Path.Combine(_dir, "state");

    [Fact]
    public async Task Run_on_the_simulator_writes_every_result_as_openai_output()
    {
        var file = CliProcess.WriteLines(_dir, "chats.jsonl", Enumerable.Range(0, 40).Select(i => $$"""{"custom_id":"c-{{i}}","prompt":"question {{i}}"}"""));
        var run = await CliProcess.RunAsync(_dir, null, "run", file, "--model", "sim-1", "-o", "out.jsonl", "--errors", "err.jsonl", "--format", "openai", "--state-dir", StateDir);
        Assert.True(run.ExitCode == 0, run.ToString());

        var lines = CliProcess.ReadLines(Path.Combine(_dir, "out.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"c-{i}").Order(), lines.Select(l => l.GetProperty("custom_id").GetString()).Order());
        Assert.All(lines, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Empty(CliProcess.ReadLines(Path.Combine(_dir, "err.jsonl")));
        Assert.Contains("completed", run.Stderr);
    }

    [Fact]
    public async Task Run_killed_midway_resumes_and_writes_each_custom_id_exactly_once()
    {
        const int total = 300;
        var file = CliProcess.WriteLines(_dir, "many.jsonl", Enumerable.Range(0, total).Select(i => $$"""{"custom_id":"item-{{i}}","prompt":"p {{i}}"}"""));
        var env = new Dictionary<string, string> { ["BatchAspire__Providers__sim__LatencyMs"] = "50" };
        string[] args = ["run", file, "--model", "sim-1", "-o", "out.jsonl", "--errors", "err.jsonl", "--concurrency", "10", "--state-dir", StateDir];
        var output = Path.Combine(_dir, "out.jsonl");

        using (var first = Process.Start(CliProcess.StartInfo(_dir, env, args))!)
        {
            first.OutputDataReceived += (_, _) => { };
            first.ErrorDataReceived += (_, _) => { };
            first.BeginOutputReadLine();
            first.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (CountLines(output) < 20 && !first.HasExited && DateTime.UtcNow < deadline) await Task.Delay(10, TestContext.Current.CancellationToken);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        var written = CountLines(output);
        Assert.True(written is > 0 and < total, $"The first run must be killed midway, but it had written {written} of {total} results.");

        var second = await CliProcess.RunAsync(_dir, env, args);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Resuming", second.Stderr);

        var ids = CliProcess.ReadLines(output).Concat(CliProcess.ReadLines(Path.Combine(_dir, "err.jsonl")))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!)
            .ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, total).Select(i => $"item-{i}").Order(), ids.Order());
    }

    [Fact]
    public async Task Run_of_a_file_with_a_malformed_line_names_the_line_and_creates_no_job()
    {
        var file = CliProcess.WriteLines(_dir, "bad.jsonl",
        [
            """{"custom_id":"a","prompt":"one"}""",
            """{"custom_id":"b","prompt":42}""",
        ]);
        var run = await CliProcess.RunAsync(_dir, null, "run", file, "--model", "sim-1", "-o", "out.jsonl", "--state-dir", StateDir);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("bad.jsonl:2: prompt must be a string.", run.Stderr);
        Assert.False(Directory.Exists(StateDir), "No state (no store, no job) may be created for an invalid file.");
        Assert.False(File.Exists(Path.Combine(_dir, "out.jsonl")));
    }

    [Fact]
    public async Task Run_with_skip_invalid_lists_the_skipped_lines_and_runs_the_rest()
    {
        var file = CliProcess.WriteLines(_dir, "prompts.jsonl",
        [
            """{"custom_id":"a","prompt":"one"}""",
            """{"custom_id":"a","prompt":"again"}""",
            """{"custom_id":"b","prompt":"two"}""",
        ]);
        var run = await CliProcess.RunAsync(_dir, null, "run", file, "--model", "sim-1", "-o", "out.jsonl", "--skip-invalid", "--json", "--state-dir", StateDir);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("prompts.jsonl:2: custom_id 'a' is already used on line 1", run.Stderr);
        Assert.Equal(2, JsonDocument.Parse(run.Stdout).RootElement.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.Equal(2, CliProcess.ReadLines(Path.Combine(_dir, "out.jsonl")).Length);
    }

    /// <summary>Complete lines so far, read while the CLI may be writing the file.</summary>
    private static int CountLines(string path)
    {
        if (!File.Exists(path)) return 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var count = 0;
        int b;
        while ((b = stream.ReadByte()) >= 0) if (b == '\n') count++;
        return count;
    }

    [Fact]
    public async Task Text_prompts_without_a_model_are_refused_before_anything_runs()
    {
        var file = CliProcess.WriteLines(_dir, "p.txt", ["first prompt", "second prompt"]);
        var run = await CliProcess.RunAsync(_dir, null, "run", file, "-o", "out.jsonl", "--state-dir", StateDir);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("p.txt:1: no model", run.Stderr);
        Assert.False(Directory.Exists(StateDir));
    }
}
