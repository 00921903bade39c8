using System.Collections.Concurrent;
using System.Globalization;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Queue;

namespace BatchAspire.Core.Pricing;

/// <summary>
/// The Worker's side of a job budget (DESIGN.md §12): before an item's call is sent, its worst-case cost
/// (estimated prompt + output limit, at the model's price) is reserved atomically against the job's budget
/// (reserve_budget.lua); completion releases the reservation and adds the actual cost (complete_items.lua).
/// So spent + in flight never exceeds the budget. The first reservation that does not fit stops the job:
/// nothing more is sent, every remaining item fails with <c>budget_exceeded</c>, and the job ends
/// <c>failed</c> with <c>error.code</c> <c>budget_exceeded</c>. Jobs without a budget cost no extra round trip
/// after the first look (a job's budget never changes, so it is read once per job and remembered).
/// </summary>
public sealed class JobBudgets(WorkQueue queue, CallEstimator estimator)
{
    public const string ErrorCode = "budget_exceeded";

    private readonly ConcurrentDictionary<string, long?> _budgets = new(StringComparer.Ordinal);

    /// <summary>Null when the call may be sent; otherwise the item's error (the job's budget is closed).</summary>
    public async Task<ItemError?> ReserveAsync(LeasedItem leased)
    {
        if (await BudgetOfAsync(leased.JobId) is not { } budget) return null;
        var worst = estimator.Estimate(leased.Item).WorstCasePico() ?? 0;
        var jobError = new ItemError(ErrorCode,
            $"The job stopped before exceeding its budget of {Usd(budget)} USD (max_cost_usd): the next call could cost up to {Usd(worst)} USD, " +
            "more than remained after what was spent and what calls in flight may still spend. Items not sent by then failed with budget_exceeded.");
        if (await queue.ReserveBudgetAsync(leased.JobId, leased.Index, worst, jobError)) return null;
        return new ItemError(ErrorCode, $"Not sent: the job's budget of {Usd(budget)} USD (max_cost_usd) was reached.");
    }

    private async Task<long?> BudgetOfAsync(string jobId)
    {
        if (_budgets.TryGetValue(jobId, out var known)) return known;
        var budget = await queue.BudgetOfAsync(jobId);
        if (_budgets.Count > 10_000) _budgets.Clear();
        return _budgets[jobId] = budget;
    }

    private static string Usd(long pico) => Money.ToUsd(pico).ToString("0.######", CultureInfo.InvariantCulture);
}
