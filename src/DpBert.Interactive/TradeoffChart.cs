using DpBert.Evaluation;
using DpBert.Interactive.Html;

namespace DpBert.Interactive;

/// <summary>
/// Metric against batch-1 latency for every method of a trade-off sweep, one coloured series per method, with
/// the Pareto front (points no other point beats on both) ringed and joined by a dashed line. Up and to the
/// left is better.
/// </summary>
/// <param name="Result">The sweep.</param>
/// <param name="Width">Chart width in pixels.</param>
/// <param name="Height">Chart height in pixels.</param>
public sealed record TradeoffChart(TradeoffResult Result, int Width = 640, int Height = 360) : IHtmlView
{
    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        ViewFrame.Open(html, "tradeoff", $"{Result.Task}: {Result.MetricName} against latency");
        var points = Result.Points;
        var plot = new SvgPlot(Width, Height, AxisTicks.Range(points.Select(p => p.Batch1.MeanMs), 0.08), AxisTicks.Range(points.Select(p => p.Metric), 0.08));
        plot.Open(html, $"{Result.MetricName} against mean batch-1 latency for {points.Count} points", "tradeoff-chart");
        plot.WriteAxes(html, "mean latency per input, batch 1 (ms)", Result.MetricName);
        var methods = points.Select(p => p.Method).Distinct().ToList();
        var front = Result.ParetoFront.OrderBy(p => p.Batch1.MeanMs).ToList();
        plot.WriteLine(html, front.Select(p => (p.Batch1.MeanMs, p.Metric)), Palette.Front, 2, "6 4", "0.9", "pareto-front");
        foreach (var p in front) plot.WriteRing(html, p.Batch1.MeanMs, p.Metric, Palette.Front);
        for (int m = 0; m < methods.Count; m++)
        {
            var series = points.Where(p => p.Method == methods[m]).OrderBy(p => p.Batch1.MeanMs).ToList();
            string color = Palette.Series(m);
            html.Open("g", ("class", "series"), ("data-method", methods[m]));
            plot.WriteLine(html, series.Select(p => (p.Batch1.MeanMs, p.Metric)), color, 1.6, null, "0.8");
            foreach (var p in series)
            {
                bool onFront = front.Contains(p);
                plot.WriteMarker(html, p.Batch1.MeanMs, p.Metric, color, Tooltip(p, onFront), 4.5,
                    ("class", "point"), ("data-label", p.Label), ("data-pareto", onFront ? "true" : null));
            }
            html.Close();
        }
        html.Close();
        Legend.Write(html, methods.Select((m, i) => (m, Palette.Series(i), false)).Append(("Pareto front", Palette.Front, true)));
        ViewFrame.Caption(html, "Each point is one knob setting; hover for details. Up and to the left is better.");
        html.Close();
        return html.ToString();
    }

    private string Tooltip(MethodResult p, bool onFront) =>
        $"{p.Label}: {Result.MetricName} {Invariant.Metric(p.Metric)}, {Invariant.Format(p.Batch1.MeanMs, "0.00")} ms, {Invariant.Format(p.MeanLayers, "0.00")} layers, {Invariant.Format(p.SpeedUp, "0.00")}× speed-up{(onFront ? ", on the Pareto front" : "")}";

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => $"TradeoffChart: {Result.Task}, {Result.Points.Count} points, {Result.ParetoFront.Count} on the Pareto front";
}
