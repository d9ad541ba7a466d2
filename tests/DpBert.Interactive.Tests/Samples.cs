using DpBert.Bert;
using DpBert.Evaluation;
using DpBert.Planning;

namespace DpBert.Interactive.Tests;

/// <summary>Small result records for the view tests.</summary>
internal static class Samples
{
    public static InputPath Path(string plan, string label = "positive", string text = "a gorgeous movie", IReadOnlyList<string>? tokens = null, double?[]? probabilities = null) =>
        new(text, tokens ?? ["[CLS]", "a", "gorgeous", "movie", "[SEP]"], label, 0.93, LayerPlan.Parse(plan),
            probabilities ?? Enumerable.Repeat<double?>(null, plan.Length).ToArray());

    public static MethodResult Method(string method, double? knob, double metric, double meanMs, double speedUp, string knobName = "theta") =>
        new(method, knob is null ? "" : knobName, knob, "accuracy", metric, new Dictionary<string, double> { ["accuracy"] = metric },
            MeanLayers: 4 / speedUp, LayerUsage: [1, 1, 0.5, 0.5], DepthHistogram: [0, 0, 1, 1, 2],
            new LatencyStatistics(100, meanMs, meanMs * 0.95, meanMs * 1.2, meanMs * 1.5), Throughput: 1000 / meanMs * 4, ThroughputBatchSize: 32,
            SpeedUp: speedUp, ThroughputSpeedUp: speedUp);
}
