using System.Net.Http.Json;
using System.Text.Json;
using BatchAspire.Core.Modes.Economy.Anthropic;

namespace BatchAspire.Tests.Modes;

/// <summary>Economy jobs on Anthropic's Message Batches API, through the real Api, Workers and the fake.</summary>
public sealed class AnthropicBatchTests
{
    // claude-haiku-4-5 batch prices (Pricing/pricing.json): half the realtime ones.
    private const decimal BatchInput = 0.0000005m;
    private const decimal BatchOutput = 0.0000025m;
    private const string Model = "claude-haiku-4-5";

    [Fact]
    public async Task Economy_job_runs_on_the_anthropic_message_batches_api_at_batch_prices()
    {
        await using var h = await ModesHarness.StartAsync();
        using var worker = h.Api.StartWorker();

        var job = await h.SubmitAsync(ModesHarness.Job(10, "economy", Model));
        Assert.Equal("economy", job.GetProperty("mode").GetString());
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(10, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(3, h.Fake.Batches.BatchesCreated); // 10 items, at most 4 per provider batch
        Assert.All(h.Fake.Batches.Batches, b => Assert.Equal("/v1/messages", b.Endpoint));
        Assert.Equal(0, h.Fake.Stats.Requests); // not one realtime call
        var results = await h.ResultsAsync(job);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"c{i}"), results.Select(r => r.GetProperty("custom_id").GetString()));
        decimal sum = 0;
        foreach (var r in results)
        {
            Assert.Equal("succeeded", r.GetProperty("status").GetString());
            var response = r.GetProperty("response");
            Assert.Equal("chat.completion", response.GetProperty("object").GetString()); // translated back from an Anthropic message
            Assert.StartsWith("Fake batch reply to ", response.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            var usage = r.GetProperty("usage");
            Assert.True(usage.GetProperty("input_tokens").GetInt64() > 0);
            var expected = usage.GetProperty("input_tokens").GetInt64() * BatchInput + usage.GetProperty("output_tokens").GetInt64() * BatchOutput;
            Assert.Equal(expected, r.GetProperty("cost_usd").GetDecimal());
            Assert.NotNull(r.GetProperty("attempts")[0].GetProperty("provider_batch_id").GetString());
            sum += expected;
        }
        Assert.Equal(sum, done.GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task Native_messages_items_pass_through_the_anthropic_batch_untranslated()
    {
        await using var h = await ModesHarness.StartAsync();
        using var worker = h.Api.StartWorker();

        var job = await h.SubmitAsync(new
        {
            model = Model,
            mode = "economy",
            items = Enumerable.Range(0, 3).Select(i => new
            {
                custom_id = $"native.{i} with spaces", // not a valid Anthropic custom_id: the client names requests by position
                url = "/v1/messages",
                body = new { model = Model, max_tokens = 50, messages = new[] { new { role = "user", content = $"Hello {i}" } } },
            }),
        });
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(3, done.GetProperty("counts").GetProperty("completed").GetInt64());
        var results = await h.ResultsAsync(job);
        Assert.Equal(Enumerable.Range(0, 3).Select(i => $"native.{i} with spaces"), results.Select(r => r.GetProperty("custom_id").GetString()));
        Assert.All(results, r =>
        {
            Assert.Equal("message", r.GetProperty("response").GetProperty("type").GetString());
            Assert.True(r.GetProperty("cost_usd").GetDecimal() > 0);
        });
    }

    [Fact]
    public async Task Anthropic_errored_expired_and_canceled_results_become_failed_items_with_clear_codes()
    {
        await using var h = await ModesHarness.StartAsync(f => f.Batches.BatchItemErrorRate = 0.5);
        using var worker = h.Api.StartWorker();

        var partial = await h.WaitAsync(await h.SubmitAsync(ModesHarness.Job(8, "economy", Model)), "completed");
        var failed = (await h.ResultsAsync(partial)).Where(r => r.GetProperty("status").GetString() == "failed").ToList();
        Assert.NotEmpty(failed);
        Assert.NotEqual(8, failed.Count);
        Assert.All(failed, r => Assert.Equal("api_error", r.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(failed.Count, partial.GetProperty("counts").GetProperty("failed").GetInt64());

        h.Fake.Options.Batches.BatchItemErrorRate = 0;
        h.Fake.Options.Batches.BatchExpiryMs = 20;
        var expired = await h.WaitAsync(await h.SubmitAsync(ModesHarness.Job(3, "economy", Model)), "completed");
        Assert.Equal(3, expired.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.All(await h.ResultsAsync(expired), r => Assert.Equal("batch_expired", r.GetProperty("error").GetProperty("code").GetString()));

        // A provider batch cancelled on the provider's side (not by us) ends with every request canceled.
        h.Fake.Options.Batches.BatchExpiryMs = 0;
        h.Fake.Options.Batches.BatchTurnaroundMs = 60_000;
        var before = h.Fake.Batches.BatchesCreated;
        var job = await h.SubmitAsync(ModesHarness.Job(2, "economy", Model));
        await ModesHarness.UntilAsync(() => h.Fake.Batches.BatchesCreated == before + 1, "provider batch submitted");
        var id = h.Fake.Batches.Batches.Single(b => b.Status == "in_progress").Id;
        using var cancel = new HttpRequestMessage(HttpMethod.Post, $"{h.Fake.BaseUrl}/messages/batches/{id}/cancel");
        cancel.Headers.Add("x-api-key", ModesHarness.Key);
        cancel.Headers.Add("anthropic-version", "2023-06-01");
        using var http = new HttpClient();
        (await http.SendAsync(cancel)).EnsureSuccessStatusCode();
        var cancelled = await h.WaitAsync(job, "completed");
        Assert.Equal(2, cancelled.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.All(await h.ResultsAsync(cancelled), r => Assert.Equal("batch_cancelled", r.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public void Results_lines_map_by_position_with_usage_and_error_codes()
    {
        var ok = AnthropicBatchClient.ParseLine("""{"custom_id":"r3","result":{"type":"succeeded","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":10,"cache_read_input_tokens":5,"cache_creation_input_tokens":2,"output_tokens":7}}}}""");
        Assert.True(ok.Succeeded);
        Assert.Equal(3, ok.Position);
        Assert.Equal(17, ok.Usage!.InputTokens);
        Assert.Equal(7, ok.Usage.OutputTokens);

        var errored = AnthropicBatchClient.ParseLine("""{"custom_id":"r0","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}}}""");
        Assert.False(errored.Succeeded);
        Assert.Equal(0, errored.Position);
        Assert.Equal(400, errored.StatusCode);
        Assert.Equal("invalid_request_error", errored.Error!.Code);
        Assert.Equal("max_tokens: Field required", errored.Error.Message);

        Assert.Equal("batch_cancelled", AnthropicBatchClient.ParseLine("""{"custom_id":"r1","result":{"type":"canceled"}}""").Error!.Code);
        Assert.Equal("batch_expired", AnthropicBatchClient.ParseLine("""{"custom_id":"r2","result":{"type":"expired"}}""").Error!.Code);
    }
}
