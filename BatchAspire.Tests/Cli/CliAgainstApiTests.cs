using System.Text.Json;

namespace BatchAspire.Tests.Cli;

/// <summary>The CLI as a process against a real Api process and Worker.</summary>
public sealed class CliAgainstApiTests(LiveApi api) : IClassFixture<LiveApi>
{
    private readonly string _dir = CliProcess.TempDirectory();

    private Task<CliResult> Cli(params string[] args) => CliProcess.RunAsync(_dir, api.CliEnvironment, args);

    [Fact]
    public async Task Submit_watch_and_results_return_every_item_once()
    {
        var prompts = CliProcess.WriteLines(_dir, "prompts.txt", Enumerable.Range(1, 25).Select(i => $"Say hello to number {i}"));

        var submit = await Cli("submit", prompts, "--model", "sim-1");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var jobId = submit.Stdout.Trim();
        Assert.StartsWith("job_", jobId);

        var watch = await Cli("watch", jobId);
        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Contains("completed", watch.Stdout);
        Assert.Contains("25/25 done", watch.Stdout);

        var results = await Cli("results", jobId, "-o", "results.jsonl", "--errors", "errors.jsonl");
        Assert.True(results.ExitCode == 0, results.ToString());
        var lines = CliProcess.ReadLines(Path.Combine(_dir, "results.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"line-{i}").Order(), lines.Select(l => l.GetProperty("custom_id").GetString()).Order());
        Assert.All(lines, l => Assert.Equal("succeeded", l.GetProperty("status").GetString()));
        Assert.Empty(CliProcess.ReadLines(Path.Combine(_dir, "errors.jsonl")));

        var openai = await Cli("results", jobId, "-o", "openai.jsonl", "--format", "openai");
        Assert.True(openai.ExitCode == 0, openai.ToString());
        var first = JsonDocument.Parse(CliProcess.ReadLines(Path.Combine(_dir, "openai.jsonl"))[0]).RootElement;
        Assert.StartsWith("batch_req_", first.GetProperty("id").GetString());
        Assert.Equal(200, first.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.StartsWith("req_", first.GetProperty("response").GetProperty("request_id").GetString());
        Assert.Equal("chat.completion", first.GetProperty("response").GetProperty("body").GetProperty("object").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Submit_with_watch_and_json_prints_only_the_final_job_and_exits_by_its_status()
    {
        var file = CliProcess.WriteLines(_dir, "batch.jsonl",
        [
            """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"sim-1","messages":[{"role":"user","content":"hi"}]}}""",
            """{"custom_id":"b","messages":[{"role":"user","content":"hello"}],"max_tokens":5}""",
            """{"prompt":"third"}""",
        ]);
        var run = await Cli("submit", file, "--model", "sim-1", "--watch", "--json", "--metadata", "team=search", "--budget", "1.5");
        Assert.True(run.ExitCode == 0, run.ToString());
        var job = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.Equal("search", job.GetProperty("metadata").GetProperty("team").GetString());
        Assert.Equal("1.5", job.GetProperty("metadata").GetProperty("max_cost_usd").GetString());

        var status = await Cli("status", job.GetProperty("id").GetString()!, "--json");
        Assert.Equal("completed", JsonDocument.Parse(status.Stdout).RootElement.GetProperty("status").GetString());
        var list = await Cli("list", "--status", "completed", "--json");
        Assert.Contains(JsonDocument.Parse(list.Stdout).RootElement.GetProperty("data").EnumerateArray(), j => j.GetProperty("id").GetString() == job.GetProperty("id").GetString());
        var table = await Cli("list");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(job.GetProperty("id").GetString()!, table.Stdout);
    }

    [Fact]
    public async Task Malformed_line_is_reported_by_number_and_nothing_is_submitted()
    {
        var before = await JobCount();
        var file = CliProcess.WriteLines(_dir, "bad.jsonl",
        [
            """{"custom_id":"a","prompt":"one"}""",
            """{"custom_id":"b" "prompt":"two"}""",
            """{"custom_id":"a","prompt":"three"}""",
            """{"custom_id":"c"}""",
        ]);
        var submit = await Cli("submit", file, "--model", "sim-1");
        Assert.Equal(1, submit.ExitCode);
        Assert.Contains("bad.jsonl:2: not valid JSON", submit.Stderr);
        Assert.Contains("bad.jsonl:3: custom_id 'a' is already used on line 1", submit.Stderr);
        Assert.Contains("bad.jsonl:4: needs one of", submit.Stderr);
        Assert.Contains("Nothing was submitted", submit.Stderr);
        Assert.Equal("", submit.Stdout);
        Assert.Equal(before, await JobCount());
    }

    [Fact]
    public async Task Skip_invalid_submits_the_valid_lines_and_lists_the_skipped_ones()
    {
        var file = CliProcess.WriteLines(_dir, "mixed.jsonl",
        [
            """{"custom_id":"ok-1","prompt":"one"}""",
            """not json at all""",
            """{"custom_id":"ok-2","prompt":"two"}""",
        ]);
        var submit = await Cli("submit", file, "--model", "sim-1", "--skip-invalid", "--watch", "--json");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        Assert.Contains("Skipped 1 invalid line(s)", submit.Stderr);
        Assert.Contains("mixed.jsonl:2:", submit.Stderr);
        Assert.Equal(2, JsonDocument.Parse(submit.Stdout).RootElement.GetProperty("counts").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_model_no_provider_serves_is_reported_with_the_line_it_is_on()
    {
        var file = CliProcess.WriteLines(_dir, "models.jsonl",
        [
            """{"custom_id":"a","prompt":"one","model":"sim-1"}""",
            """{"custom_id":"b","prompt":"two","model":"nobody-serves-this"}""",
        ]);
        var submit = await Cli("submit", file);
        Assert.Equal(1, submit.ExitCode);
        Assert.Contains("models.jsonl:2:", submit.Stderr);
        Assert.Contains("model_not_found", submit.Stderr);
    }

    [Fact]
    public async Task Wrong_api_key_gets_a_clear_message_and_is_never_printed()
    {
        const string wrongKey = "sk-wrong-7f1e2d";
        var result = await CliProcess.RunAsync(_dir, new Dictionary<string, string> { ["BATCHASPIRE_URL"] = api.Url }, "list", "--api-key", wrongKey);
        Assert.Equal(4, result.ExitCode);
        Assert.Contains("The server rejected the API key (invalid_api_key). Set --api-key or BATCHASPIRE_API_KEY.", result.Stderr);
        Assert.DoesNotContain(wrongKey, result.Stderr + result.Stdout);
    }

    [Fact]
    public async Task Unknown_job_prints_the_servers_message_and_code()
    {
        var result = await Cli("status", "job_0123456789abcdef0123456789abcdef");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No job found with id 'job_0123456789abcdef0123456789abcdef'", result.Stderr);
        Assert.Contains("not_found", result.Stderr);
    }

    [Fact]
    public async Task Config_file_supplies_url_and_key_when_no_option_or_variable_does()
    {
        var configDir = Path.Combine(_dir, ".config", "batchaspire");
        Directory.CreateDirectory(configDir);
        File.WriteAllText(Path.Combine(configDir, "config.json"), JsonSerializer.Serialize(new { url = api.Url, api_key = LiveApi.ApiKey }));
        var result = await CliProcess.RunAsync(_dir, null, "list", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("list", JsonDocument.Parse(result.Stdout).RootElement.GetProperty("object").GetString());
    }

    private async Task<int> JobCount()
    {
        var list = await Cli("list", "--limit", "100", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        return JsonDocument.Parse(list.Stdout).RootElement.GetProperty("data").GetArrayLength();
    }
}

public sealed class CliWithoutServerTests
{
    [Fact]
    public async Task Unreachable_server_is_named_with_how_to_start_it()
    {
        var dir = CliProcess.TempDirectory();
        var url = $"http://127.0.0.1:{Infrastructure.TestStores.FreePort()}";
        var file = CliProcess.WriteLines(dir, "p.txt", ["hello"]);
        var result = await CliProcess.RunAsync(dir, new Dictionary<string, string> { ["BATCHASPIRE_URL"] = url, ["BATCHASPIRE_API_KEY"] = "secret-never-shown" }, "submit", file, "--model", "sim-1");
        Assert.Equal(4, result.ExitCode);
        Assert.Contains($"Cannot reach BatchAspire at {url}: connection refused. Start it with `dotnet run --project BatchAspire.AppHost`, or set --url / BATCHASPIRE_URL.", result.Stderr);
        Assert.DoesNotContain("secret-never-shown", result.Stderr + result.Stdout);
    }
}
