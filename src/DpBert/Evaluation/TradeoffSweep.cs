using System.Diagnostics;
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
    /// Measures the full model and each entry at each knob, interleaved so that every point sees the same
    /// machine: after a warm-up of every point, each input is timed alone on every point in turn (the order
    /// rotating from input to input), and each batch of the throughput pass runs on every point in turn. This
    /// is repeated <see cref="LatencyOptions.Rounds"/> times; each point keeps its per-input minimum latency and
    /// its best throughput. <paramref name="progress"/> receives each point after each round (count done, total).
    /// </summary>
    public static TradeoffResult Run(string task, IAdaptiveClassifier full, IEnumerable<SweepEntry> entries, EncodedDataset data,
        MetricFunction metrics, string mainMetric, LatencyOptions? options = null, IProgress<(int Done, int Total, MethodResult Point)>? progress = null)
    {
        var configs = new List<(IAdaptiveClassifier Classifier, double Knob)> { (full, 0) };
        foreach (var e in entries.Where(e => e.Classifier.Method != "full"))
            foreach (double k in e.Knobs) { e.Classifier.ValidateKnob(k); configs.Add((e.Classifier, k)); }
        var bench = new LatencyBenchmark(data, metrics, mainMetric, options);
        int rounds = bench.Options.Rounds, count = configs.Count, n = data.Count, timed = bench.TimedInputs, batchSize = bench.Options.ThroughputBatchSize;
        foreach (var (c, k) in configs) bench.WarmUp(c, k);

        var latencies = configs.Select(_ => Enumerable.Repeat(double.MaxValue, timed).ToArray()).ToArray();
        var seconds = Enumerable.Repeat(double.MaxValue, count).ToArray();
        var logits = configs.Select(c => new float[n * c.Classifier.NumLabels]).ToArray();
        var plans = configs.Select(_ => new Planning.LayerPlan[n]).ToArray();
        var clock = new Stopwatch();
        int done = 0;
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < timed; i++)
            {
                var batch = data.Batch([i], full.PadTokenId);
                for (int j = 0; j < count; j++)
                {
                    int c = (i + j) % count;
                    clock.Restart();
                    configs[c].Classifier.Classify(batch, configs[c].Knob);
                    latencies[c][i] = Math.Min(latencies[c][i], clock.Elapsed.TotalMilliseconds);
                }
            }
            var total = new double[count];
            for (int start = 0; start < n; start += batchSize)
            {
                var indices = Enumerable.Range(start, Math.Min(batchSize, n - start)).ToArray();
                var batch = data.Batch(indices, full.PadTokenId);
                for (int c = 0; c < count; c++)
                {
                    clock.Restart();
                    var output = configs[c].Classifier.Classify(batch, configs[c].Knob);
                    total[c] += clock.Elapsed.TotalSeconds;
                    output.Logits.CopyTo(logits[c], start * configs[c].Classifier.NumLabels);
                    for (int r = 0; r < indices.Length; r++) plans[c][start + r] = output.Plans[r];
                }
            }
            MethodResult? reference = null;
            var points = new List<MethodResult>(count);
            for (int c = 0; c < count; c++)
            {
                seconds[c] = Math.Min(seconds[c], total[c]);
                var classifier = configs[c].Classifier;
                var predictions = new AdaptivePredictions(EvaluationOutput.FromLogits(logits[c], data, classifier.NumLabels, classifier.NumLabels == 1), plans[c]);
                var point = bench.Summarize(classifier, configs[c].Knob, new LatencySample(latencies[c].ToArray(), n / seconds[c], predictions), reference);
                reference ??= point;
                points.Add(point);
                progress?.Report((++done, count * rounds, point));
            }
            if (round == rounds - 1) return new TradeoffResult(task, mainMetric, points, ParetoFront.Of(points));
        }
        throw new InvalidOperationException("unreachable: at least one round runs");
    }
}
