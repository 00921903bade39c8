using System.Text.Json;
using static BatchAspire.Tests.V1.V1Http;

namespace BatchAspire.Tests.V1;

[Collection(V1ApiCollection.Name)]
public sealed class BatchesApiTests(V1ApiFixture api)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Batch_runs_to_completion_with_output_and_error_files_in_openai_line_format()
    {
        using var client = api.Client();
        var content = Lines(Line("ok-1"), Line("ok-2"), Line("bad", extra: "\"sim_fail\":\"permanent\""));
        var fileId = (await UploadAsync(client, content)).Body.GetProperty("id").GetString()!;

        var (status, created) = await PostJsonAsync(client, "/v1/batches", new
        {
            input_file_id = fileId,
            endpoint = "/v1/chat/completions",
            completion_window = "24h",
            metadata = new Dictionary<string, string> { ["purpose"] = "test", ["batchaspire_mode"] = "fast" },
        });
        Assert.Equal(200, status);
        var batchId = created.GetProperty("id").GetString()!;
        Assert.StartsWith("batch_", batchId);
        Assert.Equal("batch", created.GetProperty("object").GetString());
        Assert.Equal(fileId, created.GetProperty("input_file_id").GetString());
        Assert.Equal("/v1/chat/completions", created.GetProperty("endpoint").GetString());
        Assert.Equal("24h", created.GetProperty("completion_window").GetString());
        Assert.Equal("test", created.GetProperty("metadata").GetProperty("purpose").GetString());
        Assert.Equal("sim-small", created.GetProperty("model").GetString());
        Assert.Equal(3, created.GetProperty("request_counts").GetProperty("total").GetInt64());
        var createdAt = created.GetProperty("created_at").GetInt64();
        Assert.InRange(created.GetProperty("expires_at").GetInt64() - createdAt, 86_399, 86_401);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("errors").ValueKind);

        var batch = await WaitForBatchAsync(client, batchId, RunTimeout);

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(2, batch.GetProperty("request_counts").GetProperty("completed").GetInt64());
        Assert.Equal(1, batch.GetProperty("request_counts").GetProperty("failed").GetInt64());
        foreach (var field in new[] { "in_progress_at", "finalizing_at", "completed_at" }) Assert.True(batch.GetProperty(field).GetInt64() >= createdAt, field);
        foreach (var field in new[] { "failed_at", "expired_at", "cancelling_at", "cancelled_at" }) Assert.Equal(JsonValueKind.Null, batch.GetProperty(field).ValueKind);
        Assert.True(batch.GetProperty("usage").GetProperty("total_tokens").GetInt64() > 0);
        Assert.Equal(0, batch.GetProperty("usage").GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt64());

        var outputId = batch.GetProperty("output_file_id").GetString()!;
        var output = ParseLines(await client.GetStringAsync($"/v1/files/{outputId}/content", TestContext.Current.CancellationToken));
        Assert.Equal(["ok-1", "ok-2"], output.Select(l => l.GetProperty("custom_id").GetString()).Order());
        Assert.All(output, line =>
        {
            Assert.StartsWith("batch_req_", line.GetProperty("id").GetString());
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.False(string.IsNullOrEmpty(response.GetProperty("request_id").GetString()));
            Assert.Equal("chat.completion", response.GetProperty("body").GetProperty("object").GetString());
        });

        var errorId = batch.GetProperty("error_file_id").GetString()!;
        var errors = ParseLines(await client.GetStringAsync($"/v1/files/{errorId}/content", TestContext.Current.CancellationToken));
        var failed = Assert.Single(errors);
        Assert.Equal("bad", failed.GetProperty("custom_id").GetString());
        Assert.Equal(400, failed.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("invalid_request", failed.GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, failed.GetProperty("error").ValueKind);

        var (_, outputFile) = await GetAsync(client, $"/v1/files/{outputId}");
        Assert.Equal("batch_output", outputFile.GetProperty("purpose").GetString());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(await client.GetStringAsync($"/v1/files/{outputId}/content", TestContext.Current.CancellationToken)), outputFile.GetProperty("bytes").GetInt64());
        var (_, outputs) = await GetAsync(client, "/v1/files?purpose=batch_output");
        Assert.Contains(outputs.GetProperty("data").EnumerateArray(), f => f.GetProperty("id").GetString() == errorId);
        Assert.Equal(400, (await ReadAsync(await client.DeleteAsync($"/v1/files/{outputId}", TestContext.Current.CancellationToken))).Status);
    }

    [Fact]
    public async Task Batch_list_pages_newest_first_and_other_tenants_see_none()
    {
        using var client = api.Client(V1ApiFixture.KeyB);
        var fileId = (await UploadAsync(client, Lines(Line("x")))).Body.GetProperty("id").GetString()!;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await PostJsonAsync(client, "/v1/batches", new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "1h" })).Body.GetProperty("id").GetString()!);
        }

        var (_, page1) = await GetAsync(client, "/v1/batches?limit=2");
        Assert.Equal("list", page1.GetProperty("object").GetString());
        Assert.Equal([ids[2], ids[1]], page1.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.True(page1.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[2], page1.GetProperty("first_id").GetString());
        Assert.Equal(ids[1], page1.GetProperty("last_id").GetString());
        var (_, page2) = await GetAsync(client, $"/v1/batches?limit=2&after={ids[1]}");
        Assert.Equal(ids[0], page2.GetProperty("data")[0].GetProperty("id").GetString());

        using var other = api.Client(V1ApiFixture.KeyA);
        Assert.Equal(404, (await GetAsync(other, $"/v1/batches/{ids[0]}")).Status);
        Assert.Equal(404, (await PostJsonAsync(other, $"/v1/batches/{ids[0]}/cancel", new { })).Status);
        Assert.DoesNotContain((await GetAsync(other, "/v1/batches?limit=100")).Body.GetProperty("data").EnumerateArray(), b => ids.Contains(b.GetProperty("id").GetString()!));
        Assert.Equal(404, (await GetAsync(client, "/v1/batches/batch_nothex")).Status);
    }

    [Fact]
    public async Task Cancelled_batch_stops_dispatching()
    {
        using var client = api.Client();
        var fileId = (await UploadAsync(client, Lines([.. Enumerable.Range(0, 5).Select(i => Line($"slow-{i}", model: "slow-model"))]))).Body.GetProperty("id").GetString()!;
        var batchId = (await PostJsonAsync(client, "/v1/batches", new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" })).Body.GetProperty("id").GetString()!;

        var (status, cancelled) = await PostJsonAsync(client, $"/v1/batches/{batchId}/cancel", new { });

        Assert.Equal(200, status);
        Assert.Contains(cancelled.GetProperty("status").GetString(), new[] { "cancelling", "cancelled" });
        Assert.True(cancelled.GetProperty("cancelling_at").GetInt64() > 0);
        var (_, again) = await GetAsync(client, $"/v1/batches/{batchId}");
        Assert.Contains(again.GetProperty("status").GetString(), new[] { "cancelling", "cancelled" });
        Assert.Equal(0, again.GetProperty("request_counts").GetProperty("completed").GetInt64());
    }

    [Fact]
    public async Task Metadata_model_override_routes_every_line()
    {
        using var client = api.Client();
        var fileId = (await UploadAsync(client, Lines(Line("o1", model: "no-such-model")))).Body.GetProperty("id").GetString()!;
        var (_, created) = await PostJsonAsync(client, "/v1/batches", new
        {
            input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "30m",
            metadata = new Dictionary<string, string> { ["batchaspire_model"] = "sim-override" },
        });
        Assert.Equal("in_progress", created.GetProperty("status").GetString());
        var batch = await WaitForBatchAsync(client, created.GetProperty("id").GetString()!, RunTimeout);
        var line = Assert.Single(ParseLines(await client.GetStringAsync($"/v1/files/{batch.GetProperty("output_file_id").GetString()}/content", TestContext.Current.CancellationToken)));
        Assert.Equal("sim-override", line.GetProperty("response").GetProperty("body").GetProperty("model").GetString());
    }

    private static List<JsonElement> ParseLines(string jsonl) =>
        [.. jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
}
