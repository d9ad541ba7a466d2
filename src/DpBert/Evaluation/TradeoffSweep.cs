using DpBert.Training;

namespace DpBert.Evaluation;

/// <summary>One method and the knob values to sweep it over.</summary>
/// <param name="Classifier">The method.</param>
/// <param name="Knobs">Settings to measure (ignored for the full model, which is measured once).</param>
public sealed record SweepEntry(IAdaptiveClassifier Classifier, IReadOnlyList<double> Knobs);

/// <summary>
/// Runs every method over its knob on one task, side by side in one process run with the same inputs, the
/// full model first; returns every point and the Pareto front.
/// </summary>
public static class TradeoffSweep
{
    /// <summary>Default knob grid for a method with <paramref name="layers"/> layers and <paramref name="classes"/> classes.</summary>
    public static IReadOnlyList<double> DefaultKnobs(string method, int layers, int classes) => method switch
    {
        "dpbert" => [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95],
        "deebert" => new[] { 0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 }.Select(s => s * Math.Log(Math.Max(2, classes)) / Math.Log(2)).ToArray(),
        "pabee" => Enumerable.Range(1, Math.Max(1, layers - 1)).Select(p => (double)p).ToArray(),
        "static" => Enumerable.Range(1, layers).Select(m => (double)m).ToArray(),
        "full" => [0],
        _ => throw new ArgumentException($"unknown method \"{method}\"; use full, dpbert, deebert, pabee or static", nameof(method)),
    };

    /// <summary>
    /// Measures the full model, then each entry at each knob, <see cref="LatencyOptions.Rounds"/> times over (each
    /// point keeps its per-input minimum latencies and its best throughput). <paramref name="progress"/> receives
    /// each point as it is measured (with the count done and the total).
    /// </summary>
    public static TradeoffResult Run(string task, IAdaptiveClassifier full, IEnumerable<SweepEntry> entries, EncodedDataset data,
        MetricFunction metrics, string mainMetric, LatencyOptions? options = null, IProgress<(int Done, int Total, MethodResult Point)>? progress = null)
    {
        var list = entries.Where(e => e.Classifier.Method != "full").ToList();
        foreach (var e in list) foreach (double k in e.Knobs) e.Classifier.ValidateKnob(k);
        var configs = new List<(IAdaptiveClassifier Classifier, double Knob)> { (full, 0) };
        foreach (var e in list) foreach (double k in e.Knobs) configs.Add((e.Classifier, k));
        var bench = new LatencyBenchmark(data, metrics, mainMetric, options);
        int rounds = bench.Options.Rounds, total = configs.Count * rounds, done = 0;
        var samples = new LatencySample?[configs.Count];
        MethodResult? reference = null;
        var points = new List<MethodResult>();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < configs.Count; i++)
            {
                var sample = bench.Sample(configs[i].Classifier, configs[i].Knob);
                samples[i] = samples[i] is { } previous ? previous.CombineWith(sample) : sample;
                // Progress shows the point as measured so far (against the reference as measured so far).
                var point = bench.Summarize(configs[i].Classifier, configs[i].Knob, samples[i]!, i == 0 ? null : reference);
                if (i == 0) reference = point;
                if (round == rounds - 1) points.Add(point);
                progress?.Report((++done, total, point));
            }
        }
        return new TradeoffResult(task, mainMetric, points, ParetoFront.Of(points));
    }
}
