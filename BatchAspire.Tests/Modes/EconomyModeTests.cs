using System.Text.Json;

namespace BatchAspire.Tests.Modes;

/// <summary>Economy and waves jobs through the real Api, Workers and the fake's OpenAI Batch API.</summary>
public sealed class EconomyModeTests
{
    // gpt-4o-mini batch prices (Pricing/pricing.json): half the realtime ones.
    private const decimal BatchInput = 0.000000075m;
    private const decimal BatchOutput = 0.0000003m;

    [Fact]
    public async Task Economy_job_runs_on_the_openai_batch_api_at_batch_prices()
    {
        await using var h = await ModesHarness.StartAsync();
        using var worker = h.Api.StartWorker();

        var job = await h.SubmitAsync(ModesHarness.Job(10, "economy"));
        Assert.Equal("economy", job.GetProperty("mode").GetString());
        Assert.True(job.GetProperty("estimated_cost_usd").GetDecimal() > 0);
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(10, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(3, h.Fake.Batches.BatchesCreated); // 10 items, at most 4 per provider batch
        Assert.Equal(0, h.Fake.Stats.Requests); // not one realtime call
        var results = await h.ResultsAsync(job);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"c{i}"), results.Select(r => r.GetProperty("custom_id").GetString()));
        decimal sum = 0;
        foreach (var r in results)
        {
            Assert.Equal("succeeded", r.GetProperty("status").GetString());
            Assert.Equal("chat.completion", r.GetProperty("response").GetProperty("object").GetString());
            var usage = r.GetProperty("usage");
            var expected = usage.GetProperty("input_tokens").GetInt64() * BatchInput + usage.GetProperty("output_tokens").GetInt64() * BatchOutput;
            Assert.True(usage.GetProperty("input_tokens").GetInt64() > 0);
            Assert.Equal(expected, r.GetProperty("cost_usd").GetDecimal());
            Assert.StartsWith("batch_", r.GetProperty("attempts")[0].GetProperty("provider_batch_id").GetString());
            sum += expected;
        }
        Assert.Equal(sum, done.GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task Provider_item_errors_and_expired_batches_become_failed_items_with_clear_codes()
    {
        await using var h = await ModesHarness.StartAsync(f => f.Batches.BatchItemErrorRate = 0.5);
        using var worker = h.Api.StartWorker();

        var partial = await h.WaitAsync(await h.SubmitAsync(ModesHarness.Job(8, "economy")), "completed");
        var results = await h.ResultsAsync(partial);
        var failed = results.Where(r => r.GetProperty("status").GetString() == "failed").ToList();
        Assert.NotEmpty(failed);
        Assert.NotEqual(8, failed.Count);
        Assert.All(failed, r => Assert.Equal("server_error", r.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(failed.Count, partial.GetProperty("counts").GetProperty("failed").GetInt64());

        h.Fake.Options.Batches.BatchItemErrorRate = 0;
        h.Fake.Options.Batches.BatchExpiryMs = 20;
        var expired = await h.WaitAsync(await h.SubmitAsync(ModesHarness.Job(3, "economy")), "completed");
        Assert.Equal(3, expired.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.All(await h.ResultsAsync(expired), r => Assert.Equal("batch_expired", r.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Worker_stopped_while_a_provider_batch_is_pending_is_resumed_by_another_and_each_custom_id_is_answered_once()
    {
        await using var h = await ModesHarness.StartAsync(f => f.Batches.BatchTurnaroundMs = 1500);
        var first = h.Api.StartWorker();
        var job = await h.SubmitAsync(ModesHarness.Job(6, "economy"));
        await ModesHarness.UntilAsync(() => h.Fake.Batches.BatchesCreated == 2, "both provider batches submitted");
        await first.StopAsync();
        first.Dispose();
        Assert.Equal("in_progress", (await h.WaitAsync(job, "in_progress")).GetProperty("status").GetString());

        using var second = h.Api.StartWorker();
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(6, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(2, h.Fake.Batches.BatchesCreated); // resumed polling, never resubmitted
        Assert.Equal(1, h.Fake.Batches.MaxAnswersForAnyCustomId);
        var ids = (await h.ResultsAsync(job)).Select(r => r.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(6, ids.Distinct().Count());
        Assert.Equal(6, ids.Count);
    }

    [Fact]
    public async Task Cancelling_an_economy_job_cancels_its_provider_batches()
    {
        await using var h = await ModesHarness.StartAsync(f => f.Batches.BatchTurnaroundMs = 60_000);
        using var worker = h.Api.StartWorker();
        var job = await h.SubmitAsync(ModesHarness.Job(5, "economy"));
        await ModesHarness.UntilAsync(() => h.Fake.Batches.BatchesCreated == 2, "provider batches submitted");

        var cancel = await h.Client.PostAsync($"/api/jobs/{job.GetProperty("id").GetString()}/cancel", null);
        cancel.EnsureSuccessStatusCode();
        await h.WaitAsync(job, "cancelled");
        await ModesHarness.UntilAsync(() => h.Fake.Batches.BatchesCancelled == 2, "provider batches cancelled");
    }

    [Fact]
    public async Task Waves_keep_estimated_enqueued_tokens_under_the_providers_limit()
    {
        const long Limit = 60;
        await using var h = await ModesHarness.StartAsync(
            f => f.Batches.EnqueuedTokensLimit = Limit,
            new Dictionary<string, string?>
            {
                ["BatchAspire:Providers:openai:Limits:EnqueuedTokens"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["BatchAspire:Modes:MaxItemsPerProviderBatch"] = "1000",
            });
        using var worker = h.Api.StartWorker();

        var job = await h.SubmitAsync(ModesHarness.Job(12, "waves"));
        Assert.Equal("waves", job.GetProperty("mode").GetString());
        Assert.True(job.GetProperty("estimated_cost_usd").GetDecimal() > 0);
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(12, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.True(h.Fake.Batches.BatchesCreated > 1, $"one wave only: {h.Fake.Batches.BatchesCreated}");
        Assert.Equal(0, h.Fake.Batches.BatchesRefusedForTokens);
        Assert.InRange(h.Fake.Batches.PeakEnqueuedTokens, 1, Limit);
    }
}
