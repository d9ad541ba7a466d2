namespace DpBert.Evaluation;

/// <summary>Reading a trade-off: the best operating point under a metric floor, and methods compared at equal latency.</summary>
public static class OperatingPoints
{
    /// <summary>
    /// The fastest point (lowest mean batch-1 latency) of <paramref name="method"/> that keeps at least
    /// <paramref name="fraction"/> of the full model's metric (the allowed loss is <c>(1 - fraction) * |full|</c>,
    /// so negative metrics work); null when none qualifies.
    /// </summary>
    public static MethodResult? FastestKeeping(TradeoffResult tradeoff, string method, double fraction)
    {
        var full = tradeoff.Points.FirstOrDefault(p => p.Method == "full") ?? throw new ArgumentException("the trade-off has no full-model point", nameof(tradeoff));
        double floor = full.Metric - (1 - fraction) * Math.Abs(full.Metric);
        return tradeoff.Points.Where(p => p.Method == method && p.Metric >= floor).OrderBy(p => p.Batch1.MeanMs).FirstOrDefault();
    }

    /// <summary>
    /// For each method, its best-scoring point that is no slower (mean batch-1 latency) than <paramref name="reference"/>;
    /// methods with no such point are left out.
    /// </summary>
    public static IReadOnlyList<MethodResult> BestAtOrBelowLatency(TradeoffResult tradeoff, MethodResult reference) =>
        tradeoff.Points.Where(p => p.Method != "full" && p.Batch1.MeanMs <= reference.Batch1.MeanMs)
            .GroupBy(p => p.Method)
            .Select(g => g.OrderByDescending(p => p.Metric).ThenBy(p => p.Batch1.MeanMs).First())
            .ToList();
}
