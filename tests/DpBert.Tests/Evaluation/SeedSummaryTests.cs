using DpBert.Evaluation;

namespace DpBert.Tests.Evaluation;

/// <summary>
/// Sweeps of several seeds read together: knobs chosen on held-out sweeps and reported on dev, against hand-computed
/// values, and against the tables the README gives for the committed MiniLM sweeps (computed there by a separate script).
/// </summary>
public class SeedSummaryTests
{
    private static MethodResult P(string method, double knob, double metric, double ms) => TradeoffTests.Point(method, knob, metric, ms);
    private static MethodResult Full(double metric, double ms) => P("full", 0, metric, ms) with { KnobValue = null, KnobName = "" };
    private static TradeoffResult Sweep(params MethodResult[] points) => new("mrpc", "accuracy", points, []);

    [Fact]
    public void Knobs_are_chosen_on_held_out_and_averaged_on_dev()
    {
        // Seed A keeps 98% on held-out at theta 0.6 (0.786 of 0.80), seed B only at theta 0.3 (0.79; 0.70 does not).
        var a = (Sweep(Full(0.80, 10), P("dpbert", 0.3, 0.795, 7), P("dpbert", 0.6, 0.786, 5)),
                 Sweep(Full(0.90, 10), P("dpbert", 0.3, 0.880, 8), P("dpbert", 0.6, 0.855, 6)));
        var b = (Sweep(Full(0.80, 10), P("dpbert", 0.3, 0.790, 7), P("dpbert", 0.6, 0.700, 5)),
                 Sweep(Full(0.90, 20), P("dpbert", 0.3, 0.882, 14), P("dpbert", 0.6, 0.800, 10)));
        var rows = SeedSummary.ChosenOnHeldOut([a, b], 0.98);
        Assert.Equal(["full", "dpbert"], rows.Select(r => r.Method));
        var dp = rows[1];
        Assert.Equal([0.6, 0.3], dp.Knobs);
        Assert.Equal(0.8685, dp.Metric.Mean, 12);
        Assert.Equal(0.027 / Math.Sqrt(2), dp.Metric.Std, 12);
        Assert.Equal(96.5, dp.OfFull.Mean, 10);                 // 95% and 98% of 0.90
        Assert.Equal(3 / Math.Sqrt(2), dp.OfFull.Std, 10);
        Assert.Equal(65, dp.LatencyOfFull.Mean, 10);            // 6 of 10 ms and 14 of 20 ms
        Assert.Equal("96.50 ± 2.12", dp.OfFull.Format(2));
        Assert.Equal(100, rows[0].OfFull.Mean);
        Assert.Equal(0, rows[0].OfFull.Std);

        var none = SeedSummary.ChosenOnHeldOut([a, b], 0.999)[1];
        Assert.Equal([null, null], none.Knobs);
        Assert.Equal(0, none.Metric.Count);
        Assert.Equal("", none.Metric.Format(2));

        var sweep = SeedSummary.DevSweep([a.Item2, b.Item2]);
        Assert.Equal(["full", "dpbert", "dpbert"], sweep.Select(r => r.Method));
        Assert.Equal([0.6], sweep[1].Knobs);                    // 55% of the latency, then theta 0.3 at 75%
        Assert.Equal(0.881, sweep[2].Metric.Mean, 12);
        Assert.Equal(75, sweep[2].LatencyOfFull.Mean, 10);

        var missing = (a.Item1, Sweep(Full(0.90, 10), P("dpbert", 0.3, 0.880, 8)));
        Assert.Contains("has no dpbert k=0.6", Assert.Throws<ArgumentException>(() => SeedSummary.ChosenOnHeldOut([missing], 0.98)).Message);
    }

    [Fact]
    public void The_committed_MiniLM_sweeps_give_the_READMEs_three_seed_table()
    {
        string folder = Path.GetDirectoryName(RepositoryFiles.MiniLmSweep("mrpc", "seed-42-dev.json"))!;
        var seeds = new[] { 42, 43, 44 }.Select(s => (ResultFiles.LoadTradeoff(Path.Combine(folder, $"seed-{s}-heldout.json")),
            ResultFiles.LoadTradeoff(Path.Combine(folder, $"seed-{s}-dev.json")))).ToList();
        // README, "DPBERT on MRPC (MiniLM)", three seeds, keeping 99%: deebert | 0.2, 0.1, 0.2 | 84.26 ± 0.42 | 99.2 ± 0.5 | 4.01 ± 0.28 | 64.6 ± 5.4
        var rows = SeedSummary.ChosenOnHeldOut(seeds, 0.99);
        Assert.Equal(["full", "dpbert", "deebert", "pabee", "static"], rows.Select(r => r.Method));   // the oracle bound is in seed 42's dev sweep only
        var deebert = rows.Single(r => r.Method == "deebert");
        Assert.Equal([0.2, 0.1, 0.2], deebert.Knobs.Select(k => k is { } v ? Math.Round(v, 9) : (double?)null));
        Assert.Equal((84.26, 0.42), (Math.Round(100 * deebert.Metric.Mean, 2), Math.Round(100 * deebert.Metric.Std, 2)));
        Assert.Equal("99.2 ± 0.5", deebert.OfFull.Format(1));
        Assert.Equal("4.01 ± 0.28", deebert.MeanLayers.Format(2));
        Assert.Equal("64.6 ± 5.4", deebert.LatencyOfFull.Format(1));
        // Keeping 97%: dpbert | —, 0.1, 0.1 | 84.09 ± 0.28 | 99.0 ± 0.3 | 5.95 ± 0.04 | 98.0 ± 0.2
        var dpbert = SeedSummary.ChosenOnHeldOut(seeds, 0.97).Single(r => r.Method == "dpbert");
        Assert.Equal([null, 0.1, 0.1], dpbert.Knobs.Select(k => k is { } v ? Math.Round(v, 9) : (double?)null));
        Assert.Equal("98.0 ± 0.2", dpbert.LatencyOfFull.Format(1));
        Assert.Equal("5.95 ± 0.04", dpbert.MeanLayers.Format(2));

        // README, MRPC dev sweeps: θ 0.8 | 91.5% | 60.2% | deebert entropy 0.3 | 97.9% | 54.7% | -6.4
        var sweep = SeedSummary.DevSweep(seeds.Select(s => s.Item2 with { Points = s.Item2.Points.Where(p => p.Method != "static" || p.KnobValue is 3 or 4).ToList() }).ToList());
        var comparisons = SeedSummary.AgainstBaselines(sweep, "dpbert");
        Assert.Equal(11, comparisons.Count);
        var theta08 = comparisons.Single(c => Math.Abs(c.Point.Knobs[0]!.Value - 0.8) < 1e-9);
        Assert.Equal(("deebert", 0.3), (theta08.BestBaseline!.Method, Math.Round(theta08.BestBaseline.Knobs[0]!.Value, 9)));
        Assert.Equal((91.5, 60.2, 97.9, 54.7, -6.4), (Math.Round(theta08.Point.OfFull.Mean, 1), Math.Round(theta08.Point.LatencyOfFull.Mean, 1),
            Math.Round(theta08.BestBaseline.OfFull.Mean, 1), Math.Round(theta08.BestBaseline.LatencyOfFull.Mean, 1), Math.Round(theta08.Difference, 1)));
        Assert.DoesNotContain(comparisons, c => c.BestBaseline?.Method is "oracle" or "full");

        var bad = Path.Combine(folder, "..", "..", "..", "..", "README.md");
        Assert.Contains("README.md: not a trade-off file", Assert.Throws<InvalidDataException>(() => ResultFiles.LoadTradeoff(bad)).Message);
    }
}
