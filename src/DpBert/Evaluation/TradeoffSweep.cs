using System.Diagnostics;
using DpBert.Bert;
using DpBert.Methods;
using DpBert.Training;

namespace DpBert.Evaluation;

/// <summary>One method and the knob values to sweep it over.</summary>
/// <param name="Classifier">The method.</param>
/// <param name="Knobs">Settings to measure (ignored for the full model, which is measured once).</param>
public sealed record SweepEntry(IAdaptiveClassifier Classifier, IReadOnlyList<double> Knobs);

/// <summary>
/// Runs every method over its knob on one task, side by side in one process run with the same inputs, the
/// full model first; returns every point and the Pareto front. Each point is timed per input at batch size 1
/// (wall clock: tokens already encoded, batch assembly included) and in batches for the throughput, the metric,
/// the mean layers and the layer usage; speed-ups are relative to the full model measured the same way.
/// </summary>
public static class TradeoffSweep
{
    /// <summary>
    /// Measures the full model and each entry at each knob, interleaved so that every point sees the same
    /// machine: after a warm-up of every point, each input is timed alone on every point in turn, and each batch
    /// of the throughput pass runs on every point in turn (the order rotating from input to input and from batch
    /// to batch, so no point always runs first). This is repeated <see cref="LatencyOptions.Rounds"/> times; each
    /// point keeps its per-input minimum latency and its best throughput. <paramref name="progress"/> receives
    /// each point after each round (count done, total).
    /// </summary>
    public static TradeoffResult Run(string task, IAdaptiveClassifier full, IEnumerable<SweepEntry> entries, EncodedDataset data,
        MetricFunction metrics, string mainMetric, LatencyOptions? options = null, IProgress<(int Done, int Total, MethodResult Point)>? progress = null)
    {
        if (data.Count == 0) throw new ArgumentException("the evaluation set is empty", nameof(data));
        var o = options ?? new LatencyOptions();
        o.Validate();
        var configs = new List<(IAdaptiveClassifier Classifier, double Knob)> { (full, 0) };
        foreach (var e in entries.Where(e => e.Classifier.Method != FullDepthMethod.Instance))
            foreach (double k in e.Knobs) { e.Classifier.Method.ValidateKnob(k, e.Classifier.Model.Config); configs.Add((e.Classifier, k)); }
        int padId = full.Model.Config.PadTokenId;
        int rounds = o.Rounds, count = configs.Count, n = data.Count, batchSize = o.ThroughputBatchSize;
        int timed = o.Batch1Inputs > 0 ? Math.Min(o.Batch1Inputs, n) : n;
        foreach (var (c, k) in configs) WarmUp(c, k, data, o);

        var latencies = configs.Select(_ => Enumerable.Repeat(double.MaxValue, timed).ToArray()).ToArray();
        var seconds = Enumerable.Repeat(double.MaxValue, count).ToArray();
        var logits = configs.Select(c => new float[n * c.Classifier.Model.Config.NumLabels]).ToArray();
        var plans = configs.Select(_ => new LayerPlan[n]).ToArray();
        var clock = new Stopwatch();
        int done = 0;
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < timed; i++)
            {
                var batch = data.Batch([i], padId);
                for (int j = 0; j < count; j++)
                {
                    int c = (i + j) % count;
                    clock.Restart();
                    configs[c].Classifier.Classify(batch, configs[c].Knob);
                    latencies[c][i] = Math.Min(latencies[c][i], clock.Elapsed.TotalMilliseconds);
                }
            }
            var total = new double[count];
            int batchIndex = 0;
            foreach (var (start, indices, batch) in data.InBatches(batchSize, padId))
            {
                for (int j = 0; j < count; j++)
                {
                    int c = (batchIndex + j) % count;
                    clock.Restart();
                    var output = configs[c].Classifier.Classify(batch, configs[c].Knob);
                    total[c] += clock.Elapsed.TotalSeconds;
                    output.Logits.CopyTo(logits[c], start * configs[c].Classifier.Model.Config.NumLabels);
                    for (int r = 0; r < indices.Length; r++) plans[c][start + r] = output.Plans[r];
                }
                batchIndex++;
            }
            MethodResult? reference = null;
            var points = new List<MethodResult>(count);
            var confidence = Confidence(logits[0], full.Model);
            for (int c = 0; c < count; c++)
            {
                seconds[c] = Math.Min(seconds[c], total[c]);
                var (classifier, knob) = configs[c];
                int labels = classifier.Model.Config.NumLabels;
                var predictions = new AdaptivePredictions(EvaluationOutput.FromLogits(logits[c], data, labels, labels == 1), plans[c]);
                var point = Summarize(classifier, knob, data, metrics, mainMetric, latencies[c], n / seconds[c], batchSize, predictions, reference)
                    with { Diversity = PlanDiversity.From(plans[c], confidence, data.Lengths) };
                reference ??= point;
                points.Add(point);
                progress?.Report((++done, count * rounds, point));
            }
            if (round == rounds - 1) return new TradeoffResult(task, mainMetric, points, ParetoFront.Of(points));
        }
        throw new InvalidOperationException("unreachable: at least one round runs");
    }

    /// <summary>The full model's probability of its predicted class for each input (NaN for regression, which has no such confidence).</summary>
    private static double[] Confidence(float[] fullLogits, BertForSequenceClassification model)
    {
        int labels = model.Config.NumLabels, n = fullLogits.Length / labels;
        if (model.IsRegression) return Enumerable.Repeat(double.NaN, n).ToArray();
        var probabilities = model.Probabilities(fullLogits);
        return Enumerable.Range(0, n).Select(i => (double)probabilities.AsSpan(i * labels, labels).ToArray().Max()).ToArray();
    }

    /// <summary>Runs inputs one at a time (and one batch) untimed until the warm-up count and time are both reached, so the JIT has installed optimised code.</summary>
    private static void WarmUp(IAdaptiveClassifier classifier, double knob, EncodedDataset data, LatencyOptions o)
    {
        int n = data.Count, padId = classifier.Model.Config.PadTokenId;
        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < o.WarmupInputs || warmup.ElapsedMilliseconds < o.WarmupMilliseconds; i++)
            classifier.Classify(data.Batch([i % n], padId), knob);
        classifier.Classify(data.Batch(Enumerable.Range(0, Math.Min(o.ThroughputBatchSize, n)).ToArray(), padId), knob);
    }

    /// <summary>The result record of one point, relative to <paramref name="reference"/> (null: it is the reference).</summary>
    private static MethodResult Summarize(IAdaptiveClassifier classifier, double knob, EncodedDataset data, MetricFunction metricFunction, string mainMetric,
        double[] batch1Ms, double throughput, int throughputBatchSize, AdaptivePredictions predictions, MethodResult? reference)
    {
        var metrics = metricFunction(data, predictions.Output);
        if (!metrics.TryGetValue(mainMetric, out double main))
            throw new InvalidOperationException($"the metric function returned no \"{mainMetric}\" (it returned {string.Join(", ", metrics.Keys)})");
        var batch1 = LatencyStatistics.From(batch1Ms);
        var method = classifier.Method;
        double speedUp = reference is null ? 1.0 : reference.Batch1.MeanMs / batch1.MeanMs;
        double throughputSpeedUp = reference is null ? 1.0 : throughput / reference.Throughput;
        return new MethodResult(method.Name, method.Knob?.Name ?? "", method.Knob is null ? null : knob, mainMetric, main,
            new Dictionary<string, double>(metrics), predictions.MeanLayers, predictions.LayerUsage(), predictions.DepthHistogram(),
            batch1, throughput, throughputBatchSize, speedUp, throughputSpeedUp);
    }
}
