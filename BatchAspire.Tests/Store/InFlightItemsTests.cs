using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;

namespace BatchAspire.Tests.Store;

public sealed class InFlightItemsTests
{
    private static LeasedItem Copy(long index) =>
        new("job_1", index, new StoredItem($"c{index}", "sim", "sim-1", "/v1/chat/completions", JsonDocument.Parse("{}").RootElement), [], DateTimeOffset.UtcNow);

    [Fact]
    public async Task An_item_leased_again_while_its_first_copy_runs_gives_back_both_slots()
    {
        var inFlight = new InFlightItems(2);
        Assert.Equal(2, await inFlight.AcquireAsync(2, CancellationToken.None));
        var first = Copy(7);
        var second = Copy(7); // the same item, re-leased after its first lease expired mid-call
        inFlight.Add(first);
        inFlight.Add(second);

        inFlight.Remove(first);
        inFlight.Remove(second);

        Assert.Equal(0, inFlight.Count);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(2, await inFlight.AcquireAsync(2, timeout.Token)); // both slots are free again
    }
}
