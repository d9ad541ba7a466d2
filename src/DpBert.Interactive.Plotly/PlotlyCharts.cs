using System.Globalization;
using DpBert.Evaluation;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using Chart = Plotly.NET.CSharp.Chart;
using Plotly.NET.CSharp;

namespace DpBert.Interactive.Plotly;

/// <summary>
/// DpBert's results as Plotly.NET charts: the same data as the static views of DpBert.Interactive
/// (<see cref="TradeoffChart"/>, <see cref="TrainingCurves"/>, <see cref="LayerUsageHeatmap"/>), interactive (hover, zoom,
/// hide series). <see cref="PlotlyHtml"/> turns them into HTML with plotly.js inlined.
/// </summary>
public static class PlotlyCharts
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>
    /// Metric against mean batch-1 latency, one series per method (points joined in latency order), and the Pareto
    /// front as a dashed line of rings. Hover: method, knob, metric, latency mean/p50/p99, mean layers, speed-up.
    /// </summary>
    public static GenericChart Tradeoff(TradeoffResult result)
    {
        var charts = new List<GenericChart>();
        foreach (var method in result.Points.GroupBy(p => p.Method))
        {
            var points = method.OrderBy(p => p.Batch1.MeanMs).ToList();
            charts.Add(WithHover(Chart.Scatter<double, double, string>(
                x: points.Select(p => p.Batch1.MeanMs), y: points.Select(p => p.Metric), mode: StyleParam.Mode.Lines_Markers,
                Name: method.Key, MultiText: Texts(points.Select(p => Hover(result, p))))));
        }
        var front = result.ParetoFront.OrderBy(p => p.Batch1.MeanMs).ToList();
        charts.Add(WithHover(Chart.Scatter<double, double, string>(
            x: front.Select(p => p.Batch1.MeanMs), y: front.Select(p => p.Metric), mode: StyleParam.Mode.Lines_Markers,
            Name: "Pareto front", MultiText: Texts(front.Select(p => Hover(result, p))),
            MarkerSymbol: StyleParam.MarkerSymbol.NewModified(StyleParam.MarkerSymbol.Circle, StyleParam.SymbolStyle.Open), LineDash: StyleParam.DrawingStyle.Dash, MarkerColor: Color.fromString("#444444"),
            LineColor: Color.fromString("#444444"))));
        foreach (var trace in charts[^1].GetTraces())
            if (trace.TryGetPropertyValue("marker") is { } marker && marker.Value is DynamicObj.DynamicObj style) style.SetProperty("size", 14);
        return Chart.Combine(charts)
            .WithXAxisStyle<double, double, string>(TitleText: "mean latency per input, batch 1 (ms)")
            .WithYAxisStyle<double, double, string>(TitleText: result.MetricName)
            .Titled($"{result.Task}: {result.MetricName} against latency (hover for details; up and to the left is better)")
            .WithSize(820, 480);
    }

    /// <summary>Training loss (each step, and a moving average), the evaluation metric and the learning rate against the optimizer step, side by side.</summary>
    public static GenericChart TrainingCurves(TrainingCurves curves)
    {
        var steps = curves.Steps;
        string? metric = curves.PlottedMetric;
        var evaluations = metric is null ? [] : curves.Evaluations.Where(e => e.Metrics.ContainsKey(metric)).ToList();
        var loss = Chart.Combine(
        [
            Chart.Line<int, double, string>(x: steps.Select(s => s.Step), y: steps.Select(s => s.Loss), Name: "loss", Opacity: 0.35),
            Chart.Line<int, double, string>(x: steps.Select(s => s.Step), y: MovingAverage(steps.Select(s => s.Loss).ToList()), Name: "loss, moving average"),
        ]);
        var metricChart = Chart.Line<int, double, string>(x: evaluations.Select(e => e.Step), y: evaluations.Select(e => e.Metrics[metric!]),
            ShowMarkers: true, Name: metric is null ? "evaluation" : "eval " + metric);
        var rate = Chart.Line<int, double, string>(x: steps.Select(s => s.Step), y: steps.Select(s => s.LearningRate), Name: "learning rate");
        return Chart.Grid([loss, metricChart, rate], 1, 3,
                SubPlotTitles: Texts(["training loss", metric is null ? "evaluation metric" : "eval " + metric, "learning rate"]))
            .Titled($"Training: {steps.Count} optimizer steps, {curves.Evaluations.Count} evaluations")
            .WithSize(1000, 380);
    }

    /// <summary>The heatmap's rows as a Plotly heatmap: fraction of each group's inputs that ran each layer (hover gives the counts).</summary>
    public static GenericChart LayerUsage(LayerUsageHeatmap heatmap)
    {
        var rows = heatmap.ComputeRows().Reverse().ToList();   // Plotly draws the first row at the bottom
        int layers = rows.Count == 0 ? 0 : rows[0].RunCounts.Count;
        var layerNames = Enumerable.Range(1, layers).Select(l => $"L{l}").ToList();
        var z = rows.Select(r => Enumerable.Range(0, layers).Select(r.Usage).ToArray()).ToArray();
        var text = rows.Select(r => Enumerable.Range(0, layers)
            .Select(l => $"{r.Group}, layer {l + 1}: ran for {r.RunCounts[l]} of {r.Count} inputs ({r.Usage(l).ToString("P0", C)})").ToArray()).ToArray();
        var chart = Chart.Heatmap<double, string, string, string>(zData: z, X: Texts(layerNames), Y: Texts(rows.Select(r => r.Group)), Name: "layer usage",
            ColorScale: StyleParam.Colorscale.Greens, ReverseScale: true);
        foreach (var trace in chart.GetTraces())
        {
            trace.SetProperty("text", text);
            trace.SetProperty("hovertemplate", "%{text}<extra></extra>");
            trace.SetProperty("zmin", 0.0);
            trace.SetProperty("zmax", 1.0);
        }
        string by = heatmap.GroupBy == LayerUsageGrouping.PredictedLabel ? "predicted label" : "input length";
        return chart.WithXAxisStyle<double, double, string>(TitleText: "layer").WithYAxisStyle<double, double, string>(TitleText: by)
            .Titled($"Layer usage by {by} ({heatmap.Paths.Count} inputs)").WithSize(720, 120 + 48 * rows.Count);
    }

    private static string Hover(TradeoffResult result, MethodResult p) =>
        $"<b>{p.Method}</b>{(p.KnobValue is { } k ? $" {p.KnobName} = {k.ToString("G4", C)}" : "")}<br>" +
        $"{result.MetricName}: {p.Metric.ToString("0.0000", C)}<br>" +
        $"latency: mean {p.Batch1.MeanMs.ToString("0.00", C)} ms, p50 {p.Batch1.P50Ms.ToString("0.00", C)} ms, p99 {p.Batch1.P99Ms.ToString("0.00", C)} ms<br>" +
        $"mean layers run: {p.MeanLayers.ToString("0.00", C)}<br>" +
        (p.Diversity is { } d ? $"plans: {d.DistinctPlans} distinct, entropy {d.EntropyBits.ToString("0.00", C)} bits<br>" : "") +
        $"speed-up: {p.SpeedUp.ToString("0.00", C)}×{(result.ParetoFront.Contains(p) ? "<br>on the Pareto front" : "")}";

    /// <summary>Plotly.NET.CSharp takes sequences as <see cref="Optional{T}"/>, which C# cannot convert to implicitly from an interface.</summary>
    private static Optional<IEnumerable<string>> Texts(IEnumerable<string> texts) => new(texts.ToList(), true);

    private static GenericChart Titled(this GenericChart chart, string title) =>
        global::Plotly.NET.Chart.withTitle(title, null).Invoke(chart);

    /// <summary>Shows each point's text (and nothing else) on hover.</summary>
    private static GenericChart WithHover(GenericChart chart)
    {
        foreach (var trace in chart.GetTraces()) trace.SetProperty("hovertemplate", "%{text}<extra></extra>");
        return chart;
    }

    /// <summary>Trailing mean over about 5% of the run (at least one step), as the static chart draws it.</summary>
    private static IEnumerable<double> MovingAverage(IReadOnlyList<double> values)
    {
        int window = Math.Max(1, values.Count / 20);
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            yield return sum / Math.Min(i + 1, window);
        }
    }
}
