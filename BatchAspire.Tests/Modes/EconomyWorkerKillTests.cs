using BatchAspire.Core.Modes.Economy;
using BatchAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BatchAspire.Tests.Modes;

/// <summary>A real Worker process driving an economy job is killed with SIGKILL while its provider batches are pending.</summary>
public sealed class EconomyWorkerKillTests
{
    [Fact]
    public async Task Worker_killed_while_provider_batches_are_pending_is_taken_over_without_resubmitting()
    {
        await using var h = await ModesHarness.StartAsync(f => f.Batches.BatchTurnaroundMs = 5000);
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = h.Api.Store.ConnectionString,
            ["BatchAspire__Store__KeyPrefix"] = h.Api.Prefix,
            ["BatchAspire__Providers__openai__BaseUrl"] = h.Fake.BaseUrl,
            ["OPENAI_API_KEY"] = ModesHarness.Key,
            ["BatchAspire__Modes__Tick"] = "00:00:00.100",
            ["BatchAspire__Modes__MinPollInterval"] = "00:00:00.100",
            ["BatchAspire__Modes__MaxPollInterval"] = "00:00:00.300",
            // A short claim, so the next Worker takes the dead one's job over within seconds.
            ["BatchAspire__Modes__ClaimDuration"] = "00:00:03",
            ["BatchAspire__Modes__MaxItemsPerProviderBatch"] = "4",
        };
        var job = await h.SubmitAsync(ModesHarness.Job(6, "economy"));
        var jobId = job.GetProperty("id").GetString()!;
        var batchStore = h.Api.Services.GetRequiredService<ProviderBatchStore>();

        using (var doomed = ServiceProcess.Start("BatchAspire.Worker", env))
        {
            // Both provider batches created at the fake and recorded in the store, still pending at the provider.
            await ModesHarness.UntilAsync(() => h.Fake.Batches.BatchesCreated == 2 || doomed.HasExited, "both provider batches submitted");
            Assert.False(doomed.HasExited, doomed.Output);
            var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
            while ((await batchStore.RecordsAsync(jobId)).Count(r => r.State == ProviderBatchStates.Submitted) < 2)
            {
                if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException("The provider batches were never recorded in the store.");
                await Task.Delay(20);
            }
            Assert.All(h.Fake.Batches.Batches, b => Assert.Equal("in_progress", b.Status));
            doomed.KillHard();
        }
        Assert.Equal("in_progress", (await h.WaitAsync(job, "in_progress")).GetProperty("status").GetString());

        using var successor = ServiceProcess.Start("BatchAspire.Worker", env);
        var done = await h.WaitAsync(job, "completed");

        Assert.Equal(6, done.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(2, h.Fake.Batches.BatchesCreated); // the successor resumed polling, never resubmitted
        Assert.Equal(1, h.Fake.Batches.MaxAnswersForAnyCustomId);
        var ids = (await h.ResultsAsync(job)).Select(r => r.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"c{i}"), ids);
        Assert.False(successor.HasExited, successor.Output);
    }
}
