using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace BatchAspire.Tests.Modes;

/// <summary>auto's choices and reasons, visible on the job, and its fallback to fast.</summary>
public sealed class AutoModeTests
{
    [Fact]
    public async Task Auto_says_why_it_chose_fast_or_economy()
    {
        await using var h = await ModesHarness.StartAsync();

        var sim = await h.SubmitAsync(ModesHarness.Job(10, "auto", model: "sim-1"));
        Assert.Equal("fast", sim.GetProperty("mode").GetString());
        Assert.Equal("auto", sim.GetProperty("requested_mode").GetString());
        Assert.Contains("has no batch API", sim.GetProperty("mode_reason").GetString());

        var small = await h.SubmitAsync(ModesHarness.Job(2, "auto"));
        Assert.Equal("fast", small.GetProperty("mode").GetString());
        Assert.Contains("2 items is below 5", small.GetProperty("mode_reason").GetString());

        var urgent = await h.SubmitAsync(ModesHarness.Job(10, "auto", window: "1h"));
        Assert.Equal("fast", urgent.GetProperty("mode").GetString());
        Assert.Contains("deadline (1 h) is shorter than the provider's batch turnaround (24 h)", urgent.GetProperty("mode_reason").GetString());

        var big = await h.SubmitAsync(ModesHarness.Job(10, "auto", window: "48h"));
        Assert.Equal("economy", big.GetProperty("mode").GetString());
        Assert.Contains("auto chose economy", big.GetProperty("mode_reason").GetString());
        Assert.True(big.GetProperty("estimated_cost_usd").GetDecimal() < urgent.GetProperty("estimated_cost_usd").GetDecimal());

        using var worker = h.Api.StartWorker();
        var done = await h.WaitAsync(big, "completed");
        Assert.Equal(3, h.Fake.Batches.BatchesCreated);
        Assert.Equal(10, done.GetProperty("counts").GetProperty("completed").GetInt64());
    }

    [Fact]
    public async Task Economy_is_refused_for_a_provider_without_a_batch_api()
    {
        await using var h = await ModesHarness.StartAsync();
        var response = await h.Client.PostAsJsonAsync("/api/jobs", ModesHarness.Job(3, "economy", model: "sim-1"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("mode_not_supported", error.GetProperty("code").GetString());
        Assert.Contains("has no batch API", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Auto_falls_back_to_fast_when_the_provider_batch_api_answers_403()
    {
        await using var h = await ModesHarness.StartAsync(f => f.Batches.BatchesDisabled = true);
        using var worker = h.Api.StartWorker();

        var job = await h.SubmitAsync(ModesHarness.Job(6, "auto"));
        Assert.Equal("economy", job.GetProperty("mode").GetString());
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal("fast", done.GetProperty("mode").GetString());
        Assert.Contains("auto fell back to fast", done.GetProperty("mode_reason").GetString());
        Assert.Contains("403", done.GetProperty("mode_reason").GetString());
        Assert.Equal(6, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(6, h.Fake.Stats.Succeeded); // realtime calls
        Assert.Equal(0, h.Fake.Batches.BatchesCreated);
    }
}
