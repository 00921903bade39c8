using BatchAspire.Core.Batches;
using StackExchange.Redis;
using static BatchAspire.Tests.V1.V1Http;

namespace BatchAspire.Tests.V1;

[Collection(V1ApiCollection.Name)]
public sealed class BatchValidationTests(V1ApiFixture api)
{
    public static TheoryData<string, string, long?> BadFiles => new()
    {
        { "invalid_json_line", Lines(Line("a"), "{not json"), 2 },
        { "invalid_json_line", Lines(Line("a"), "[1,2]"), 2 },
        { "duplicate_custom_id", Lines(Line("a"), Line("b"), Line("a")), 3 },
        { "url_mismatch", Lines(Line("a", url: "/v1/embeddings")), 1 },
        { "invalid_method", Lines(Line("a"), Line("b", method: "GET")), 2 },
        { "missing_body", Lines("""{"custom_id":"a","method":"POST","url":"/v1/chat/completions"}"""), 1 },
        { "missing_custom_id", Lines("""{"method":"POST","url":"/v1/chat/completions","body":{"model":"sim-x"}}"""), 1 },
        { "model_not_found", Lines(Line("a"), Line("b", model: "no-such-model")), 2 },
        { "empty_file", "", null },
        { "empty_file", "\n\n", null },
        { "too_many_tasks", Lines([.. Enumerable.Range(0, V1ApiFixture.MaxItems + 1).Select(i => Line($"t{i}"))]), V1ApiFixture.MaxItems + 1 },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task Bad_input_file_gives_a_failed_batch_that_names_the_line_and_runs_nothing(string code, string content, long? line)
    {
        using var client = api.Client();
        var fileId = (await UploadAsync(client, content)).Body.GetProperty("id").GetString()!;

        var (status, batch) = await PostJsonAsync(client, "/v1/batches", new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" });

        Assert.Equal(200, status);
        Assert.Equal("failed", batch.GetProperty("status").GetString());
        Assert.True(batch.GetProperty("failed_at").GetInt64() > 0);
        Assert.Equal(0, batch.GetProperty("request_counts").GetProperty("total").GetInt64());
        var errors = batch.GetProperty("errors");
        Assert.Equal("list", errors.GetProperty("object").GetString());
        var first = errors.GetProperty("data")[0];
        Assert.Equal(code, first.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(first.GetProperty("message").GetString()));
        if (line is null) Assert.Equal(System.Text.Json.JsonValueKind.Null, first.GetProperty("line").ValueKind);
        else Assert.Equal(line, first.GetProperty("line").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, batch.GetProperty("output_file_id").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, batch.GetProperty("error_file_id").ValueKind);

        // Nothing was staged or queued: no items, and the job is not in the scheduler's round-robin.
        var jobId = "job_" + batch.GetProperty("id").GetString()!["batch_".Length..];
        var db = api.Store.Connection.GetDatabase();
        Assert.False(await db.KeyExistsAsync($"{api.Prefix}{{{jobId}}}:items"));
        Assert.DoesNotContain((await db.ListRangeAsync(api.Prefix + "active")).Select(v => v.ToString()), id => id == jobId);
        Assert.Equal("failed", (await GetAsync(client, $"/v1/batches/{batch.GetProperty("id").GetString()}")).Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Several_bad_lines_are_all_reported()
    {
        using var client = api.Client();
        var fileId = (await UploadAsync(client, Lines("nope", Line("a"), Line("a"), Line("b", method: "PUT")))).Body.GetProperty("id").GetString()!;
        var (_, batch) = await PostJsonAsync(client, "/v1/batches", new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" });
        var data = batch.GetProperty("errors").GetProperty("data").EnumerateArray().Select(e => (e.GetProperty("code").GetString(), e.GetProperty("line").GetInt64())).ToList();
        Assert.Equal([("invalid_json_line", 1L), ("duplicate_custom_id", 3L), ("invalid_method", 4L)], data);
    }

    public static TheoryData<int, string, string, object> BadRequests => new()
    {
        { 404, "input_file_id", "not_found", new { input_file_id = "file-00000000000000000000000000000000", endpoint = "/v1/chat/completions", completion_window = "24h" } },
        { 404, "input_file_id", "not_found", new { input_file_id = "not-a-file-id", endpoint = "/v1/chat/completions", completion_window = "24h" } },
        { 400, "input_file_id", "missing_required_parameter", new { endpoint = "/v1/chat/completions", completion_window = "24h" } },
        { 400, "endpoint", "invalid_value", new { input_file_id = "FILE", endpoint = "/v1/nope", completion_window = "24h" } },
        { 400, "completion_window", "invalid_value", new { input_file_id = "FILE", endpoint = "/v1/chat/completions", completion_window = "24 hours" } },
        { 400, "completion_window", "invalid_value", new { input_file_id = "FILE", endpoint = "/v1/chat/completions", completion_window = "31d" } },
        { 400, "metadata.batchaspire_mode", "invalid_mode", new { input_file_id = "FILE", endpoint = "/v1/chat/completions", completion_window = "24h", metadata = new { batchaspire_mode = "turbo" } } },
        { 400, "metadata.batchaspire_model", "model_not_found", new { input_file_id = "FILE", endpoint = "/v1/chat/completions", completion_window = "24h", metadata = new { batchaspire_model = "unknown-model" } } },
        { 400, "metadata.batchaspire_provider", "invalid_provider", new { input_file_id = "FILE", endpoint = "/v1/chat/completions", completion_window = "24h", metadata = new { batchaspire_provider = "nobody" } } },
        { 400, "metadata.batchaspire_max_cost_usd", "invalid_budget", new { input_file_id = "FILE", endpoint = "/v1/chat/completions", completion_window = "24h", metadata = new { batchaspire_max_cost_usd = "lots" } } },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_create_request_is_refused_with_an_openai_error(int expectedStatus, string param, string code, object request)
    {
        using var client = api.Client();
        var fileId = (await UploadAsync(client, Lines(Line("a")))).Body.GetProperty("id").GetString()!;
        var json = System.Text.Json.JsonSerializer.Serialize(request).Replace("\"FILE\"", $"\"{fileId}\"");

        var (status, body) = await ReadAsync(await client.PostAsync("/v1/batches", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken));

        Assert.Equal(expectedStatus, status);
        var error = body.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("24h", 86400)]
    [InlineData("1h", 3600)]
    [InlineData("30m", 1800)]
    [InlineData("7d", 604800)]
    [InlineData("2s", 2)]
    [InlineData("30d", 2592000)]
    public void Completion_window_accepts_a_number_and_a_unit(string text, long seconds)
    {
        Assert.True(CompletionWindow.TryParse(text, out var window));
        Assert.Equal(seconds, (long)window.TotalSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("24")]
    [InlineData("h")]
    [InlineData("0s")]
    [InlineData("31d")]
    [InlineData("1.5h")]
    [InlineData(" 24h")]
    [InlineData("24H")]
    [InlineData("-1h")]
    public void Completion_window_refuses_anything_else(string text) => Assert.False(CompletionWindow.TryParse(text, out _));
}
