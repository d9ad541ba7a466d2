using DpBert.Evaluation;
using Microsoft.Data.Analysis;

namespace DpBert.Interactive;

/// <summary>
/// Evaluation results as <see cref="DataFrame"/>s, one row per method and knob setting, with the columns of
/// <c>results.csv</c> / <c>tradeoff.csv</c> (<c>method</c>, <c>knob</c>, <c>metric</c>, <c>mean_layers</c>,
/// <c>batch1_p50_ms</c>, ...), every metric the task reports as <c>metric_&lt;name&gt;</c>, and for a trade-off its task
/// and a <c>pareto</c> flag.
/// </summary>
public static class MethodResultFrames
{
    /// <summary>One row per result.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<MethodResult> results) => Build(results.ToList(), null, null);

    /// <summary>One row per point of the sweep; <c>pareto</c> is true for the points on its Pareto front.</summary>
    public static DataFrame ToDataFrame(this TradeoffResult tradeoff) => new[] { tradeoff }.ToDataFrame();

    /// <summary>Several sweeps (tasks) in one frame, one row per point, with <c>task</c> and <c>pareto</c> (on that sweep's front).</summary>
    public static DataFrame ToDataFrame(this IEnumerable<TradeoffResult> tradeoffs)
    {
        var sweeps = tradeoffs.ToList();
        return Build(sweeps.SelectMany(t => t.Points).ToList(), sweeps.SelectMany(t => t.Points.Select(_ => t.Task)).ToList(),
            sweeps.SelectMany(t => t.Points.Select(p => t.ParetoFront.Contains(p))).ToList());
    }

    /// <summary>Per result, the fraction of inputs that ran each layer: <c>method</c>, <c>knob</c>, then <c>layer_1</c> ... <c>layer_L</c>.</summary>
    public static DataFrame ToLayerUsageDataFrame(this IEnumerable<MethodResult> results)
    {
        var rows = results.ToList();
        int layers = rows.Count == 0 ? 0 : rows.Max(r => r.LayerUsage.Count);
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("method", rows.Select(r => r.Method)),
            new DoubleDataFrameColumn("knob", rows.Select(r => r.KnobValue)),
            new DoubleDataFrameColumn("mean_layers", rows.Select(r => r.MeanLayers)),
        };
        for (int l = 0; l < layers; l++)
        {
            int layer = l;
            columns.Add(new DoubleDataFrameColumn($"layer_{l + 1}", rows.Select(r => layer < r.LayerUsage.Count ? r.LayerUsage[layer] : (double?)null)));
        }
        return new DataFrame(columns);
    }

    private static DataFrame Build(IReadOnlyList<MethodResult> rows, IReadOnlyList<string>? tasks, IReadOnlyList<bool>? pareto)
    {
        var columns = new List<DataFrameColumn>();
        if (tasks is not null) columns.Add(new StringDataFrameColumn("task", tasks));
        columns.AddRange(
        [
            new StringDataFrameColumn("method", rows.Select(r => r.Method)),
            new StringDataFrameColumn("knob_name", rows.Select(r => r.KnobName)),
            new DoubleDataFrameColumn("knob", rows.Select(r => r.KnobValue)),
            new StringDataFrameColumn("label", rows.Select(r => r.Label)),
            new StringDataFrameColumn("metric_name", rows.Select(r => r.MetricName)),
            new DoubleDataFrameColumn("metric", rows.Select(r => r.Metric)),
            new DoubleDataFrameColumn("mean_layers", rows.Select(r => r.MeanLayers)),
            new DoubleDataFrameColumn("batch1_mean_ms", rows.Select(r => r.Batch1.MeanMs)),
            new DoubleDataFrameColumn("batch1_p50_ms", rows.Select(r => r.Batch1.P50Ms)),
            new DoubleDataFrameColumn("batch1_p90_ms", rows.Select(r => r.Batch1.P90Ms)),
            new DoubleDataFrameColumn("batch1_p99_ms", rows.Select(r => r.Batch1.P99Ms)),
            new Int32DataFrameColumn("batch1_inputs", rows.Select(r => r.Batch1.Count)),
            new DoubleDataFrameColumn("throughput_per_s", rows.Select(r => r.Throughput)),
            new DoubleDataFrameColumn("speed_up", rows.Select(r => r.SpeedUp)),
            new DoubleDataFrameColumn("throughput_speed_up", rows.Select(r => r.ThroughputSpeedUp)),
            new Int32DataFrameColumn("distinct_plans", rows.Select(r => r.Diversity?.DistinctPlans)),
            new DoubleDataFrameColumn("plan_entropy_bits", rows.Select(r => r.Diversity?.EntropyBits)),
            new DoubleDataFrameColumn("layers_vs_confidence", rows.Select(r => r.Diversity?.LayersVsConfidence)),
            new DoubleDataFrameColumn("layers_vs_length", rows.Select(r => r.Diversity?.LayersVsLength)),
            new StringDataFrameColumn("top_plan", rows.Select(r => r.Diversity?.TopPlans.FirstOrDefault()?.Plan)),
        ]);
        if (pareto is not null) columns.Add(new BooleanDataFrameColumn("pareto", pareto));
        foreach (string name in rows.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal))
            columns.Add(new DoubleDataFrameColumn("metric_" + name, rows.Select(r => r.Metrics.TryGetValue(name, out double v) ? v : (double?)null)));
        return new DataFrame(columns);
    }
}
