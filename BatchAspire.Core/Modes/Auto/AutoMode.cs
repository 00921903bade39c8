using System.Globalization;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Modes.Auto;

/// <summary>
/// Picks fast or economy from what is known at submission: the provider's batch capability, the deadline against the
/// provider's batch turnaround, the job's size, and the saving at batch prices. The reason is kept on the job.
/// </summary>
public sealed class AutoMode : IProcessingMode
{
    public string Name => "auto";

    public ModeDecision Decide(ModeContext job)
    {
        var planner = job.Planner;
        var fastCost = planner.EstimatePico(job.Items, batch: false);
        if (job.Items.Count == 0)
        {
            return new(Dispatches.Fast, "auto chose fast: a file-based job's items are not sized at submission", fastCost);
        }
        if (planner.SingleProvider(job.Items) is not { } provider)
        {
            return new(Dispatches.Fast, "auto chose fast: the items go to several providers and a provider batch goes to one", fastCost);
        }
        var (supported, why) = planner.BatchSupport(provider);
        if (!supported) return new(Dispatches.Fast, $"auto chose fast: {why}", fastCost);
        var turnaround = planner.Options.BatchTurnaround;
        if (job.Deadline is { } deadline && deadline < turnaround)
        {
            return new(Dispatches.Fast, $"auto chose fast: the deadline ({Hours(deadline)}) is shorter than the provider's batch turnaround ({Hours(turnaround)})", fastCost);
        }
        if (job.Total < planner.Options.AutoEconomyMinItems)
        {
            return new(Dispatches.Fast, $"auto chose fast: {job.Total} items is below {planner.Options.AutoEconomyMinItems} (BatchAspire:Modes:AutoEconomyMinItems), small enough to finish sooner in realtime", fastCost);
        }
        var batchCost = planner.EstimatePico(job.Items, batch: true);
        if (fastCost is { } fast && batchCost is { } batch && batch >= fast)
        {
            return new(Dispatches.Fast, "auto chose fast: the model has no batch discount", fastCost);
        }
        var saving = fastCost is { } f && batchCost is { } b
            ? $", estimated at most {Usd(b)} USD instead of {Usd(f)} USD"
            : "";
        return new(Dispatches.Economy, $"auto chose economy: {job.Total} items, {why}, no deadline before its turnaround{saving}", batchCost);
    }

    private static string Hours(TimeSpan t) => t.TotalHours >= 1 ? $"{t.TotalHours:0.#} h" : $"{t.TotalMinutes:0.#} min";

    private static string Usd(long pico) => Money.ToUsd(pico).ToString("0.######", CultureInfo.InvariantCulture);
}
