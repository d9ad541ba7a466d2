namespace DpBert.Evaluation;

/// <summary>
/// One method at one knob setting, measured on one task: what it scored, how many layers it ran and how fast
/// it was, next to the full-depth model measured in the same process run with the same inputs.
/// </summary>
/// <param name="Method">Method name: <c>full</c>, <c>dpbert</c>, <c>deebert</c>, <c>pabee</c> or <c>static</c>.</param>
/// <param name="KnobName">Name of the knob (<c>theta</c>, <c>entropy</c>, <c>patience</c>, <c>depth</c>); empty for the full model.</param>
/// <param name="KnobValue">Knob setting; null for the full model.</param>
/// <param name="MetricName">The task's main metric (for example <c>accuracy</c>, <c>pearson</c>).</param>
/// <param name="Metric">The main metric on the evaluated examples.</param>
/// <param name="Metrics">Every metric the task reports.</param>
/// <param name="MeanLayers">Mean number of encoder layers executed per input.</param>
/// <param name="LayerUsage">Fraction of inputs that ran each layer (length L).</param>
/// <param name="DepthHistogram">Number of inputs that ran n layers, at index n (length L + 1).</param>
/// <param name="Batch1">Per-input wall-clock latency at batch size 1.</param>
/// <param name="Throughput">Inputs per second when run in batches of <paramref name="ThroughputBatchSize"/>.</param>
/// <param name="ThroughputBatchSize">Batch size of the throughput measurement.</param>
/// <param name="SpeedUp">Full model's mean batch-1 latency divided by this method's.</param>
/// <param name="ThroughputSpeedUp">This method's throughput divided by the full model's.</param>
public sealed record MethodResult(
    string Method, string KnobName, double? KnobValue, string MetricName, double Metric,
    IReadOnlyDictionary<string, double> Metrics, double MeanLayers, IReadOnlyList<double> LayerUsage,
    IReadOnlyList<int> DepthHistogram, LatencyStatistics Batch1, double Throughput, int ThroughputBatchSize,
    double SpeedUp, double ThroughputSpeedUp)
{
    /// <summary>How much the plans differ from input to input (null when not computed).</summary>
    public PlanDiversity? Diversity { get; init; }

    /// <summary>Batch-1 mean latency as a fraction of the full model's (1 / <see cref="SpeedUp"/>).</summary>
    public double RelativeLatency => SpeedUp > 0 ? 1.0 / SpeedUp : double.NaN;

    /// <summary>A short label such as <c>dpbert theta=0.5</c>.</summary>
    public string Label => KnobValue is { } v ? $"{Method} {KnobName}={v:G4}" : Method;
}
