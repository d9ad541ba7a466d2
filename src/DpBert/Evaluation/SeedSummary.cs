namespace DpBert.Evaluation;

/// <summary>A mean and sample standard deviation over seeds (<c>Std</c> is 0 for one value, NaN for none).</summary>
/// <param name="Mean">Mean of the values.</param>
/// <param name="Std">Sample standard deviation (n - 1).</param>
/// <param name="Count">Number of values.</param>
public readonly record struct MeanStd(double Mean, double Std, int Count)
{
    /// <summary>The statistics of <paramref name="values"/>.</summary>
    public static MeanStd Of(IEnumerable<double> values)
    {
        var v = values.ToList();
        if (v.Count == 0) return new MeanStd(double.NaN, double.NaN, 0);
        double mean = v.Average();
        double std = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return new MeanStd(mean, std, v.Count);
    }

    /// <summary>Both values with <paramref name="digits"/> decimals, as <c>mean ± std</c> (just the mean for one value, empty for none).</summary>
    public string Format(int digits)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        string f = "F" + digits;
        return Count switch { 0 => "", 1 => Mean.ToString(f, c), _ => $"{Mean.ToString(f, c)} ± {Std.ToString(f, c)}" };
    }

    /// <inheritdoc/>
    public override string ToString() => Format(2);
}

/// <summary>
/// One method (at one knob, or at the knob each seed chose) over several seeds' sweeps: the task metric, its share of
/// the full model's (%), mean layers, batch-1 latency as a share of the full model's (%), batch speed-up and distinct plans.
/// </summary>
/// <param name="Method">Method name.</param>
/// <param name="Knobs">The knob of each seed, in seed order (null where the seed had no point, e.g. none kept the fraction).</param>
/// <param name="Metric">The task's main metric.</param>
/// <param name="OfFull">Metric as a percentage of the full model's in the same sweep (little use when the full model's metric is near 0, e.g. a Matthews correlation).</param>
/// <param name="MeanLayers">Mean encoder layers run per input.</param>
/// <param name="LatencyOfFull">Mean batch-1 latency as a percentage of the full model's in the same sweep.</param>
/// <param name="ThroughputSpeedUp">Batch throughput over the full model's.</param>
/// <param name="DistinctPlans">Distinct plans (layer subsets) used over the inputs.</param>
public sealed record SeedSummaryRow(string Method, IReadOnlyList<double?> Knobs, MeanStd Metric, MeanStd OfFull, MeanStd MeanLayers,
    MeanStd LatencyOfFull, MeanStd ThroughputSpeedUp, MeanStd DistinctPlans);

/// <summary>One point of a method against the best baseline point at the same or a lower mean latency (seed means).</summary>
/// <param name="Point">The method's point (one knob, averaged over seeds).</param>
/// <param name="BestBaseline">The baseline point with the highest share of the full model's metric among those no slower; null when none is that fast.</param>
public sealed record BaselineComparison(SeedSummaryRow Point, SeedSummaryRow? BestBaseline)
{
    /// <summary>The method's share of the full model's metric minus the baseline's, in percentage points (NaN without a baseline).</summary>
    public double Difference => BestBaseline is { } b ? Point.OfFull.Mean - b.OfFull.Mean : double.NaN;
}

/// <summary>
/// Trade-off sweeps of several training seeds read together, with <see cref="OperatingPoints"/>' rule: operating points
/// chosen on held-out rows and reported on dev (the honest protocol), and each knob's dev figures averaged over seeds.
/// </summary>
public static class SeedSummary
{
    /// <summary>
    /// For each method, the knob each seed's held-out sweep picks (the fastest point keeping <paramref name="fraction"/>
    /// of the full model's held-out metric) and that knob's dev figures, averaged over the seeds that found one. Methods
    /// come in the order of the first seed's dev sweep (those its held-out sweep also measured; the full model first).
    /// </summary>
    /// <exception cref="ArgumentException">No seeds, or a dev sweep without the held-out's chosen knob or without a full-model point.</exception>
    public static IReadOnlyList<SeedSummaryRow> ChosenOnHeldOut(IReadOnlyList<(TradeoffResult HeldOut, TradeoffResult Dev)> seeds, double fraction)
    {
        if (seeds.Count == 0) throw new ArgumentException("no seeds", nameof(seeds));
        var rows = new List<SeedSummaryRow>();
        var heldOutMethods = seeds[0].HeldOut.Points.Select(p => p.Method).ToHashSet();
        foreach (string method in seeds[0].Dev.Points.Select(p => p.Method).Distinct().Where(heldOutMethods.Contains).OrderBy(m => m != AdaptiveMethods.Full.Name))
        {
            var chosen = seeds.Select(s =>
            {
                var pick = method == AdaptiveMethods.Full.Name ? Full(s.HeldOut) : OperatingPoints.FastestKeeping(s.HeldOut, method, fraction);
                if (pick is null) return ((MethodResult Point, MethodResult Full)?)null;
                var dev = s.Dev.Points.FirstOrDefault(p => p.Method == method && p.KnobValue == pick.KnobValue)
                    ?? throw new ArgumentException($"the dev sweep of {s.Dev.Task} has no {pick.Label} (chosen on held-out)", nameof(seeds));
                return (dev, Full(s.Dev));
            }).ToList();
            rows.Add(Row(method, chosen.Select(c => c?.Point.KnobValue).ToList(), chosen.Where(c => c is not null).Select(c => c!.Value).ToList()));
        }
        return rows;
    }

    /// <summary>
    /// Every (method, knob) of the dev sweeps with its figures averaged over the seeds that measured it, the full model
    /// first, then by method in the first sweep's order and by mean latency.
    /// </summary>
    /// <exception cref="ArgumentException">No sweeps, or a sweep without a full-model point.</exception>
    public static IReadOnlyList<SeedSummaryRow> DevSweep(IReadOnlyList<TradeoffResult> dev)
    {
        if (dev.Count == 0) throw new ArgumentException("no sweeps", nameof(dev));
        var methods = dev[0].Points.Select(p => p.Method).Distinct().ToList();
        return dev.SelectMany(d => d.Points.Select(p => (Point: p, Full: Full(d))))
            .GroupBy(x => (x.Point.Method, x.Point.KnobValue))
            .Select(g => Row(g.Key.Method, [g.Key.KnobValue], g.ToList()))
            .OrderBy(r => r.Method != AdaptiveMethods.Full.Name).ThenBy(r => methods.IndexOf(r.Method) is var i && i < 0 ? int.MaxValue : i).ThenBy(r => r.LatencyOfFull.Mean)
            .ToList();
    }

    /// <summary>
    /// Every knob of <paramref name="method"/> in a <see cref="DevSweep"/> against the best point of the baselines (every
    /// other method but the full model and the oracle bound) at the same or a lower mean latency, the method's points by latency.
    /// </summary>
    public static IReadOnlyList<BaselineComparison> AgainstBaselines(IReadOnlyList<SeedSummaryRow> sweep, string method)
    {
        var baselines = sweep.Where(r => r.Method != method && r.Method != AdaptiveMethods.Full.Name && r.Method != Planning.OracleMethod.Instance.Name).ToList();
        return sweep.Where(r => r.Method == method).OrderBy(r => r.LatencyOfFull.Mean)
            .Select(r => new BaselineComparison(r, baselines.Where(b => b.LatencyOfFull.Mean <= r.LatencyOfFull.Mean).MaxBy(b => b.OfFull.Mean)))
            .ToList();
    }

    private static MethodResult Full(TradeoffResult tradeoff) =>
        tradeoff.Points.FirstOrDefault(p => p.Method == AdaptiveMethods.Full.Name) ?? throw new ArgumentException($"the {tradeoff.Task} sweep has no full-model point");

    private static SeedSummaryRow Row(string method, IReadOnlyList<double?> knobs, IReadOnlyList<(MethodResult Point, MethodResult Full)> points) => new(
        method, knobs,
        MeanStd.Of(points.Select(x => x.Point.Metric)),
        MeanStd.Of(points.Select(x => 100 * x.Point.Metric / x.Full.Metric)),
        MeanStd.Of(points.Select(x => x.Point.MeanLayers)),
        MeanStd.Of(points.Select(x => 100 * x.Point.Batch1.MeanMs / x.Full.Batch1.MeanMs)),
        MeanStd.Of(points.Select(x => x.Point.ThroughputSpeedUp)),
        MeanStd.Of(points.Where(x => x.Point.Diversity is not null).Select(x => (double)x.Point.Diversity!.DistinctPlans)));
}
