using System.Text.Json;
using BatchAspire.Core.Modes.Economy.Gemini;

namespace BatchAspire.Tests.Modes;

/// <summary>Economy jobs on Gemini batch mode (inline requests), through the real Api, Workers and the fake.</summary>
public sealed class GeminiBatchTests
{
    // gemini-2.5-flash batch prices (Pricing/pricing.json): half the realtime ones.
    private const decimal BatchInput = 0.00000015m;
    private const decimal BatchOutput = 0.00000125m;
    private const string Model = "gemini-2.5-flash";

    [Fact]
    public async Task Economy_job_runs_on_gemini_batch_mode_at_batch_prices()
    {
        await using var h = await ModesHarness.StartAsync();
        using var worker = h.Api.StartWorker();

        var job = await h.SubmitAsync(ModesHarness.Job(10, "economy", Model));
        Assert.Equal("economy", job.GetProperty("mode").GetString());
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(10, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(3, h.Fake.Batches.BatchesCreated); // 10 items, at most 4 per provider batch
        Assert.All(h.Fake.Batches.Batches, b => Assert.Equal(":batchGenerateContent", b.Endpoint));
        Assert.Equal(0, h.Fake.Stats.Requests);
        var results = await h.ResultsAsync(job);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"c{i}"), results.Select(r => r.GetProperty("custom_id").GetString()));
        decimal sum = 0;
        foreach (var r in results)
        {
            Assert.Equal("succeeded", r.GetProperty("status").GetString());
            var response = r.GetProperty("response");
            Assert.Equal("chat.completion", response.GetProperty("object").GetString());
            // Each answer lands on its own item: the fake quotes the metadata key it was sent.
            Assert.Equal("Fake batch reply to " + r.GetProperty("custom_id").GetString(), response.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            var usage = r.GetProperty("usage");
            Assert.True(usage.GetProperty("input_tokens").GetInt64() > 0);
            var expected = usage.GetProperty("input_tokens").GetInt64() * BatchInput + usage.GetProperty("output_tokens").GetInt64() * BatchOutput;
            Assert.Equal(expected, r.GetProperty("cost_usd").GetDecimal());
            Assert.StartsWith("batches/", r.GetProperty("attempts")[0].GetProperty("provider_batch_id").GetString());
            sum += expected;
        }
        Assert.Equal(sum, done.GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task Gemini_item_errors_and_expired_batches_become_failed_items_with_clear_codes()
    {
        await using var h = await ModesHarness.StartAsync(f => f.Batches.BatchItemErrorRate = 0.5);
        using var worker = h.Api.StartWorker();

        var partial = await h.WaitAsync(await h.SubmitAsync(ModesHarness.Job(8, "economy", Model)), "completed");
        var failed = (await h.ResultsAsync(partial)).Where(r => r.GetProperty("status").GetString() == "failed").ToList();
        Assert.NotEmpty(failed);
        Assert.NotEqual(8, failed.Count);
        Assert.All(failed, r => Assert.Equal("internal", r.GetProperty("error").GetProperty("code").GetString()));

        h.Fake.Options.Batches.BatchItemErrorRate = 0;
        h.Fake.Options.Batches.BatchExpiryMs = 20;
        var expired = await h.WaitAsync(await h.SubmitAsync(ModesHarness.Job(3, "economy", Model)), "completed");
        Assert.Equal(3, expired.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.All(await h.ResultsAsync(expired), r => Assert.Equal("batch_expired", r.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task A_gemini_provider_batch_carries_one_model_so_a_change_of_model_starts_a_new_one()
    {
        await using var h = await ModesHarness.StartAsync();
        using var worker = h.Api.StartWorker();

        var models = new[] { Model, Model, "gemini-2.5-flash-lite", "gemini-2.5-flash-lite" };
        var job = await h.SubmitAsync(new
        {
            model = Model,
            mode = "economy",
            items = models.Select((m, i) => new { custom_id = $"c{i}", body = new { model = m, messages = new[] { new { role = "user", content = $"Hi {i}" } } } }),
        });
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(4, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(2, h.Fake.Batches.BatchesCreated); // 4 items fit one provider batch, but not two models
        Assert.All(h.Fake.Batches.Batches, b => Assert.Single(b.Lines.Select(l => l.Model).Distinct()));
    }

    [Fact]
    public void Inline_responses_are_read_from_either_place_the_operation_carries_them()
    {
        const string Nested = """{"name":"batches/1","done":true,"metadata":{"state":"JOB_STATE_SUCCEEDED"},"response":{"inlinedResponses":{"inlinedResponses":[{"response":{"candidates":[],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"thoughtsTokenCount":2}}},{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}]}}}""";
        const string Output = """{"name":"batches/1","done":true,"metadata":{"state":"BATCH_STATE_SUCCEEDED","output":{"inlinedResponses":{"inlinedResponses":[{"response":{"candidates":[]}}]}}}}""";
        using var nested = JsonDocument.Parse(Nested);
        var responses = GeminiBatchClient.InlinedResponses(nested.RootElement);
        Assert.Equal(2, responses.Count);
        var ok = GeminiBatchClient.ParseResponse(responses[0], 0);
        Assert.True(ok.Succeeded);
        Assert.Equal(5, ok.Usage!.InputTokens);
        Assert.Equal(5, ok.Usage.OutputTokens); // candidates + thoughts
        var error = GeminiBatchClient.ParseResponse(responses[1], 1);
        Assert.Equal(1, error.Position);
        Assert.Equal("invalid_argument", error.Error!.Code);
        using var output = JsonDocument.Parse(Output);
        Assert.Single(GeminiBatchClient.InlinedResponses(output.RootElement));
    }
}
