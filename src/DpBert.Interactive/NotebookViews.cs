using DpBert.Evaluation;
using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Interactive;

/// <summary>
/// Turns the core's result records into views. In a notebook, the view as a cell's last value (or passed to
/// <c>display(...)</c>) renders as HTML: <c>paths.ToPathGallery()</c>, <c>results.ToLatencyTable()</c>.
/// </summary>
public static class NotebookViews
{
    /// <summary>One input's layer-skip path.</summary>
    public static LayerSkipPathView ToPathView(this InputPath path) => new(path);

    /// <summary>Many inputs' paths, the first <paramref name="maxShown"/> drawn.</summary>
    public static PathGallery ToPathGallery(this IEnumerable<InputPath> paths, int maxShown = 50) => new(paths.ToList(), maxShown);

    /// <summary>How often each layer runs, per predicted label or per length bucket.</summary>
    public static LayerUsageHeatmap ToLayerUsageHeatmap(this IEnumerable<InputPath> paths, LayerUsageGrouping groupBy = LayerUsageGrouping.PredictedLabel) =>
        new(paths.ToList(), groupBy);

    /// <summary>Methods side by side with latency percentiles and speed-up; the best row marked.</summary>
    public static LatencyTable ToLatencyTable(this IEnumerable<MethodResult> results, double minRelativeMetric = 0.98, LatencyTableOrder order = LatencyTableOrder.Method) =>
        new(results.ToList(), minRelativeMetric, order);

    /// <summary>The plans each planning method used per knob setting: distinct plans, entropy, most used plans as a bar.</summary>
    public static PlanMix ToPlanMix(this IEnumerable<MethodResult> results) => new(results.ToList());

    /// <summary>Metric against latency per method, Pareto front marked.</summary>
    public static TradeoffChart ToChart(this TradeoffResult result) => new(result);

    /// <summary>The trade-off as an interactive Plotly chart: hover shows method, knob, metric, p50/p99 latency and mean layers.</summary>
    public static InteractiveChart ToInteractiveChart(this TradeoffResult result) => new(new TradeoffChart(result));

    /// <summary>Training curves as an interactive Plotly chart (loss, evaluation metric and learning rate against the step).</summary>
    public static InteractiveChart ToInteractiveChart(this TrainingCurves curves) => new(curves);

    /// <summary>A layer-usage heatmap as an interactive Plotly heatmap (hover gives the counts).</summary>
    public static InteractiveChart ToInteractiveChart(this LayerUsageHeatmap heatmap) => new(heatmap);

    /// <summary>The word pieces, ids and segments of an encoding.</summary>
    public static TokenizerView ToTokenizerView(this BertEncoding encoding) => new(encoding);
}
