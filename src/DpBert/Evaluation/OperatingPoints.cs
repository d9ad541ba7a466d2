namespace DpBert.Evaluation;

/// <summary>
/// Reading a trade-off, with one rule used by the command line, the notebook views and the notebooks: a point
/// keeps a fraction f of the reference metric (the full model's, or the best measured when the full model is
/// absent) when it loses at most <c>(1 - f) * |reference|</c>, so negative metrics (Matthews correlation) work
/// too; among the points that keep it, the operating point is the fastest (lowest mean batch-1 latency).
/// </summary>
public static class OperatingPoints
{
    /// <summary>The full model's metric, or the best metric when no full-model point was measured (NaN for no points).</summary>
    public static double ReferenceMetric(IEnumerable<MethodResult> points)
    {
        var list = points.ToList();
        return list.FirstOrDefault(p => p.Method == AdaptiveMethods.Full.Name)?.Metric ?? (list.Count == 0 ? double.NaN : list.Max(p => p.Metric));
    }

    /// <summary>The lowest metric that still keeps <paramref name="fraction"/> of <paramref name="reference"/>.</summary>
    public static double MetricFloor(double reference, double fraction) => reference - (1 - fraction) * Math.Abs(reference);

    /// <summary>
    /// The fastest point (of <paramref name="method"/>, or of any method when null) that keeps at least
    /// <paramref name="fraction"/> of the reference metric; null when none does.
    /// </summary>
    public static MethodResult? FastestKeeping(IEnumerable<MethodResult> points, double fraction, string? method = null)
    {
        var list = points.ToList();
        double floor = MetricFloor(ReferenceMetric(list), fraction);
        return list.Where(p => (method is null || p.Method == method) && p.Metric >= floor).OrderBy(p => p.Batch1.MeanMs).FirstOrDefault();
    }

    /// <summary>The fastest point of <paramref name="method"/> keeping <paramref name="fraction"/> of the full model's metric; null when none qualifies.</summary>
    /// <exception cref="ArgumentException">The trade-off has no full-model point.</exception>
    public static MethodResult? FastestKeeping(TradeoffResult tradeoff, string method, double fraction)
    {
        if (!tradeoff.Points.Any(p => p.Method == AdaptiveMethods.Full.Name)) throw new ArgumentException("the trade-off has no full-model point", nameof(tradeoff));
        return FastestKeeping(tradeoff.Points, fraction, method);
    }

    /// <summary>
    /// For each method, its best-scoring point that is no slower (mean batch-1 latency) than <paramref name="reference"/>;
    /// methods with no such point are left out.
    /// </summary>
    public static IReadOnlyList<MethodResult> BestAtOrBelowLatency(TradeoffResult tradeoff, MethodResult reference) =>
        tradeoff.Points.Where(p => p.Method != AdaptiveMethods.Full.Name && p.Batch1.MeanMs <= reference.Batch1.MeanMs)
            .GroupBy(p => p.Method)
            .Select(g => g.OrderByDescending(p => p.Metric).ThenBy(p => p.Batch1.MeanMs).First())
            .ToList();
}
