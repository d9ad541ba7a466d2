using System.Diagnostics;
using DpBert.Training;

namespace DpBert.Evaluation;

/// <summary>Raw timings of one method at one knob: per-input batch-1 milliseconds and batched throughput.</summary>
/// <param name="Batch1Ms">Wall-clock milliseconds of each timed input, alone.</param>
/// <param name="Throughput">Inputs per second over the whole set in batches.</param>
/// <param name="Predictions">The batched predictions (metric, plans).</param>
public sealed record LatencySample(double[] Batch1Ms, double Throughput, AdaptivePredictions Predictions)
{
    /// <summary>Combines rounds: per-input minimum latency, maximum throughput (predictions are deterministic).</summary>
    public LatencySample CombineWith(LatencySample other) =>
        new(Batch1Ms.Zip(other.Batch1Ms, Math.Min).ToArray(), Math.Max(Throughput, other.Throughput), Predictions);
}

/// <summary>
/// Measures a method at one knob setting on an evaluation set: after a warm-up, each input is timed alone
/// (batch size 1, wall clock: tokens already encoded, batch assembly included), then the whole set is run in
/// batches for the throughput and for the metric, mean layers and layer usage. The full model is measured the
/// same way in the same process run, and speed-ups are relative to it.
/// </summary>
public sealed class LatencyBenchmark
{
    private readonly EncodedDataset _data;
    private readonly MetricFunction _metrics;
    private readonly string _mainMetric;
    private readonly LatencyOptions _options;

    /// <summary>Prepares measurements on <paramref name="data"/>, scored by <paramref name="metrics"/>.</summary>
    public LatencyBenchmark(EncodedDataset data, MetricFunction metrics, string mainMetric, LatencyOptions? options = null)
    {
        if (data.Count == 0) throw new ArgumentException("the evaluation set is empty", nameof(data));
        _data = data;
        _metrics = metrics;
        _mainMetric = mainMetric;
        _options = options ?? new LatencyOptions();
        _options.Validate();
    }

    /// <summary>The settings.</summary>
    public LatencyOptions Options => _options;

    /// <summary>
    /// Measures <paramref name="classifier"/> at <paramref name="knob"/> (ignored for the full model) in one round.
    /// <paramref name="reference"/> is the full model's result (null when measuring the full model itself).
    /// </summary>
    public MethodResult Measure(IAdaptiveClassifier classifier, double knob, MethodResult? reference) =>
        Summarize(classifier, knob, Sample(classifier, knob), reference);

    /// <summary>Inputs timed one at a time.</summary>
    public int TimedInputs => _options.Batch1Inputs > 0 ? Math.Min(_options.Batch1Inputs, _data.Count) : _data.Count;

    /// <summary>Runs inputs one at a time (and one batch) untimed until the warm-up count and time are both reached.</summary>
    public void WarmUp(IAdaptiveClassifier classifier, double knob)
    {
        classifier.ValidateKnob(knob);
        int n = _data.Count;
        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < _options.WarmupInputs || warmup.ElapsedMilliseconds < _options.WarmupMilliseconds; i++)
            classifier.Classify(_data.Batch([i % n], classifier.PadTokenId), knob);
        var warmBatch = Enumerable.Range(0, Math.Min(_options.ThroughputBatchSize, n)).ToArray();
        classifier.Classify(_data.Batch(warmBatch, classifier.PadTokenId), knob);
    }

    /// <summary>One round of timings.</summary>
    public LatencySample Sample(IAdaptiveClassifier classifier, double knob)
    {
        WarmUp(classifier, knob);
        int n = _data.Count, timed = TimedInputs;

        var latencies = new double[timed];
        var clock = new Stopwatch();
        for (int i = 0; i < timed; i++)
        {
            clock.Restart();
            classifier.Classify(_data.Batch([i], classifier.PadTokenId), knob);
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }
        clock.Restart();
        var predictions = AdaptivePredictions.Run(classifier, _data, knob, _options.ThroughputBatchSize);
        return new LatencySample(latencies, n / clock.Elapsed.TotalSeconds, predictions);
    }

    /// <summary>The result record of <paramref name="sample"/>, relative to <paramref name="reference"/> (null: it is the reference).</summary>
    public MethodResult Summarize(IAdaptiveClassifier classifier, double knob, LatencySample sample, MethodResult? reference)
    {
        var predictions = sample.Predictions;
        var metrics = _metrics(_data, predictions.Output);
        if (!metrics.TryGetValue(_mainMetric, out double main))
            throw new InvalidOperationException($"the metric function returned no \"{_mainMetric}\" (it returned {string.Join(", ", metrics.Keys)})");
        var batch1 = LatencyStatistics.From(sample.Batch1Ms);
        bool isFull = classifier.Method == "full";
        double speedUp = reference is null ? 1.0 : reference.Batch1.MeanMs / batch1.MeanMs;
        double throughputSpeedUp = reference is null ? 1.0 : sample.Throughput / reference.Throughput;
        return new MethodResult(classifier.Method, classifier.KnobName, isFull ? null : knob, _mainMetric, main,
            new Dictionary<string, double>(metrics), predictions.MeanLayers, predictions.LayerUsage(), predictions.DepthHistogram(),
            batch1, sample.Throughput, _options.ThroughputBatchSize, speedUp, throughputSpeedUp);
    }
}
