namespace DpBert.Evaluation;

/// <summary>The points of a trade-off that no other point beats on both metric and batch-1 latency.</summary>
public static class ParetoFront
{
    /// <summary>
    /// Non-dominated points by (lower mean batch-1 latency, higher metric), fastest first: a point is kept when
    /// its metric is strictly higher than that of every faster point.
    /// </summary>
    public static IReadOnlyList<MethodResult> Of(IEnumerable<MethodResult> points)
    {
        var front = new List<MethodResult>();
        double best = double.NegativeInfinity;
        foreach (var p in points.OrderBy(p => p.Batch1.MeanMs).ThenByDescending(p => p.Metric))
        {
            if (p.Metric > best)
            {
                front.Add(p);
                best = p.Metric;
            }
        }
        return front;
    }
}
