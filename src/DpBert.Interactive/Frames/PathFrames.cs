using DpBert.Evaluation;
using Microsoft.Data.Analysis;

namespace DpBert.Interactive;

/// <summary>
/// Per-input paths (<see cref="InputPath"/>) as <see cref="DataFrame"/>s: what each input was, what the model said, and
/// which layers it ran, ready for grouping (accuracy per number of layers run), filtering (the inputs sent deepest)
/// and joining (two methods' paths of the same inputs, by <c>input</c>).
/// </summary>
public static class PathFrames
{
    /// <summary>
    /// One row per path: <c>input</c> (its position), <c>text</c>, <c>tokens</c> (word pieces, [CLS] and [SEP]
    /// included), <c>label</c> (gold, when known), <c>prediction</c>, <c>confidence</c>, <c>correct</c> (null without a
    /// gold label), <c>method</c>, <c>plan</c> (<c>1101</c>: layer 1 ran, layer 3 was bypassed, ...), <c>layers_run</c>,
    /// <c>batch1_ms</c> (when measured), then per layer <c>run_&lt;l&gt;</c> and the planner's probability
    /// <c>p_&lt;l&gt;</c> (null where no planner decided, for example the always-run first layer).
    /// </summary>
    /// <exception cref="ArgumentException">Paths of different depths.</exception>
    public static DataFrame ToDataFrame(this IEnumerable<InputPath> paths)
    {
        var rows = paths.ToList();
        int layers = rows.Count == 0 ? 0 : rows[0].Plan.LayerCount;
        var bad = rows.FirstOrDefault(p => p.Plan.LayerCount != layers);
        if (bad is not null) throw new ArgumentException($"paths cover different depths: {layers} and {bad.Plan.LayerCount} layers (\"{bad.Text}\")", nameof(paths));
        var columns = new List<DataFrameColumn>
        {
            new Int32DataFrameColumn("input", Enumerable.Range(0, rows.Count)),
            new StringDataFrameColumn("text", rows.Select(p => p.Text)),
            new Int32DataFrameColumn("tokens", rows.Select(p => p.Tokens.Count)),
            new StringDataFrameColumn("label", rows.Select(p => p.GoldLabel)),
            new StringDataFrameColumn("prediction", rows.Select(p => p.PredictedLabel)),
            new DoubleDataFrameColumn("confidence", rows.Select(p => p.Confidence)),
            new DoubleDataFrameColumn("correct", rows.Select(p => p.GoldLabel is null ? (double?)null : p.GoldLabel == p.PredictedLabel ? 1 : 0)),
            new StringDataFrameColumn("method", rows.Select(p => p.Method)),
            new StringDataFrameColumn("plan", rows.Select(p => p.Plan.ToString())),
            new Int32DataFrameColumn("layers_run", rows.Select(p => p.Plan.ExecutedCount)),
            new DoubleDataFrameColumn("batch1_ms", rows.Select(p => p.Latency?.TotalMilliseconds)),
        };
        for (int l = 0; l < layers; l++)
        {
            int layer = l;
            columns.Add(new DoubleDataFrameColumn($"run_{l + 1}", rows.Select(p => p.Plan.Runs(layer) ? 1.0 : 0.0)));
        }
        for (int l = 0; l < layers; l++)
        {
            int layer = l;
            columns.Add(new DoubleDataFrameColumn($"p_{l + 1}", rows.Select(p => layer < p.LayerProbabilities.Count ? p.LayerProbabilities[layer] : null)));
        }
        return new DataFrame(columns);
    }

    /// <summary>
    /// The rows of <see cref="LayerUsageHeatmap"/> as a frame: <c>group</c>, <c>inputs</c>, then per layer the
    /// fraction of the group's inputs that ran it (<c>layer_1</c> ... <c>layer_L</c>); the last row is all inputs.
    /// </summary>
    public static DataFrame ToLayerUsageDataFrame(this IEnumerable<InputPath> paths, LayerUsageGrouping groupBy = LayerUsageGrouping.PredictedLabel) =>
        new LayerUsageHeatmap(paths.ToList(), groupBy).ToDataFrame();

    /// <summary>The heatmap's rows as a frame (see <see cref="ToLayerUsageDataFrame"/>).</summary>
    public static DataFrame ToDataFrame(this LayerUsageHeatmap heatmap)
    {
        var rows = heatmap.ComputeRows();
        int layers = rows.Count == 0 ? 0 : rows[0].RunCounts.Count;
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("group", rows.Select(r => r.Group)),
            new Int32DataFrameColumn("inputs", rows.Select(r => r.Count)),
        };
        for (int l = 0; l < layers; l++)
        {
            int layer = l;
            columns.Add(new DoubleDataFrameColumn($"layer_{l + 1}", rows.Select(r => r.Usage(layer))));
        }
        return new DataFrame(columns);
    }
}
