using BatchAspire.Core.Jobs;

namespace BatchAspire.Core.Pricing;

/// <summary>
/// What a job would cost, before anything is sent (<c>POST /api/jobs/estimate</c>): estimated prompt tokens,
/// the most the calls may write (their output limits), and the cost of that worst case at standard
/// (<c>fast</c>) and batch (<c>economy</c>) prices. Models without a price are listed and left out of the costs.
/// </summary>
public sealed record JobEstimate(
    long Items,
    long InputTokens,
    long MaxOutputTokens,
    CostRange Fast,
    CostRange Economy,
    IReadOnlyList<ModelEstimate> Models,
    IReadOnlyList<string> UnpricedModels)
{
    public string Object => "job.estimate";
}

/// <summary>Input cost as estimated; output at its limit; their sum is the most the job can cost.</summary>
public sealed record CostRange(decimal InputCostUsd, decimal MaxOutputCostUsd, decimal MaxCostUsd);

public sealed record ModelEstimate(string Model, string Provider, long Items, long InputTokens, long MaxOutputTokens, bool Priced, CostRange? Fast, CostRange? Economy);

public sealed class JobEstimator(CallEstimator calls)
{
    public JobEstimate Estimate(NewJob job)
    {
        var models = new List<ModelEstimate>();
        foreach (var group in job.Items.GroupBy(i => (i.Provider, i.Model)))
        {
            long items = 0, input = 0, output = 0;
            decimal fastIn = 0, fastOut = 0, economyIn = 0, economyOut = 0;
            ModelPrice? price = null;
            foreach (var item in group)
            {
                var estimate = calls.Estimate(item);
                price = estimate.Price;
                items++;
                input += estimate.InputTokens;
                output += estimate.MaxOutputTokens;
                if (price is null) continue;
                fastIn += price.Cost(new TokenUsage(estimate.InputTokens, 0));
                fastOut += price.Cost(new TokenUsage(0, estimate.MaxOutputTokens));
                economyIn += price.Cost(new TokenUsage(estimate.InputTokens, 0), batch: true);
                economyOut += price.Cost(new TokenUsage(0, estimate.MaxOutputTokens), batch: true);
            }
            models.Add(new ModelEstimate(group.Key.Model, group.Key.Provider, items, input, output, price is not null,
                price is null ? null : Range(fastIn, fastOut), price is null ? null : Range(economyIn, economyOut)));
        }
        return new JobEstimate(
            job.Items.Count,
            models.Sum(m => m.InputTokens),
            models.Sum(m => m.MaxOutputTokens),
            Range(models.Sum(m => m.Fast?.InputCostUsd ?? 0), models.Sum(m => m.Fast?.MaxOutputCostUsd ?? 0)),
            Range(models.Sum(m => m.Economy?.InputCostUsd ?? 0), models.Sum(m => m.Economy?.MaxOutputCostUsd ?? 0)),
            models,
            [.. models.Where(m => !m.Priced).Select(m => m.Model).Distinct()]);
    }

    /// <summary>Rounded to whole picodollars, the unit the store sums costs in.</summary>
    private static CostRange Range(decimal input, decimal output)
    {
        var i = Money.ToUsd(Money.FromUsd(input));
        var o = Money.ToUsd(Money.FromUsd(output));
        return new CostRange(i, o, i + o);
    }
}
