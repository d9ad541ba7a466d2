using DpBert.Evaluation;
using DpBert.Interactive.Html;

namespace DpBert.Interactive;

/// <summary>
/// Methods side by side: metric, mean layers run, batch-1 latency percentiles (ms), throughput (inputs/s) and
/// speed-up against the full model. The best row, the fastest one whose metric keeps at least
/// <see cref="MinRelativeMetric"/> of the full model's, is marked.
/// </summary>
/// <param name="Results">Measured methods (the <c>full</c> model among them, ideally).</param>
/// <param name="MinRelativeMetric">Fraction of the reference metric a row must keep to be the best (DPBERT's claim is 0.98).</param>
/// <param name="Order">Row order.</param>
/// <param name="MaxRows">Rows drawn at most.</param>
public sealed record LatencyTable(IReadOnlyList<MethodResult> Results, double MinRelativeMetric = 0.98,
    LatencyTableOrder Order = LatencyTableOrder.Method, int MaxRows = 200) : IHtmlView
{
    /// <summary>The reference metric: the full model's, or the best metric when no full model was measured.</summary>
    public double ReferenceMetric => OperatingPoints.ReferenceMetric(Results);

    /// <summary>
    /// The lowest metric a row may have to be the best: <see cref="MinRelativeMetric"/> of the reference, measured
    /// as a loss of (1 - fraction) x |reference| so that a negative reference (Matthews correlation) works too.
    /// </summary>
    public double MetricThreshold => OperatingPoints.MetricFloor(ReferenceMetric, MinRelativeMetric);

    /// <summary>The fastest row whose metric is at least <see cref="MetricThreshold"/> (<see cref="OperatingPoints.FastestKeeping(IEnumerable{MethodResult}, double, string?)"/>); null if none.</summary>
    public MethodResult? Best => OperatingPoints.FastestKeeping(Results, MinRelativeMetric);

    /// <summary>The rows in display order.</summary>
    public IReadOnlyList<MethodResult> OrderedRows()
    {
        var methods = Results.Select(r => r.Method).Distinct().ToList();
        return Order switch
        {
            LatencyTableOrder.SpeedUp => Results.OrderByDescending(r => r.SpeedUp).ToList(),
            LatencyTableOrder.Metric => Results.OrderByDescending(r => r.Metric).ToList(),
            _ => Results.OrderBy(r => r.Method == "full" ? -1 : methods.IndexOf(r.Method)).ThenBy(r => r.KnobValue ?? double.NegativeInfinity).ToList(),
        };
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        var rows = OrderedRows();
        var best = Best;
        string metricName = Results.Count > 0 ? Results[0].MetricName : "metric";
        int batch = Results.Count > 0 ? Results[0].ThroughputBatchSize : 0;
        ViewFrame.Open(html, "latency-table");
        html.Open("table", ("style", TableStyle.Table));
        html.Open("thead").Open("tr");
        html.Element("th", "method", ("style", TableStyle.Header));
        html.Element("th", "knob", ("style", TableStyle.Header));
        foreach (string header in new[] { metricName, "mean layers", "plans (entropy)", "p50 (ms)", "p90 (ms)", "p99 (ms)", $"throughput (inputs/s, batch {batch})", "speed-up" })
            html.Element("th", header, ("style", TableStyle.NumericHeader));
        html.Close().Close();
        html.Open("tbody");
        int shown = Math.Min(rows.Count, MaxRows);
        foreach (var r in rows.Take(shown))
        {
            bool isBest = ReferenceEquals(r, best);
            html.Open("tr", ("class", isBest ? "best-row" : null), ("data-method", r.Method), ("data-best", isBest ? "true" : null),
                ("style", isBest ? $"background: {Palette.Highlight}; font-weight: 600;" : null));
            html.Element("td", isBest ? r.Method + " ★" : r.Method, ("style", TableStyle.Cell), ("title", isBest ? "best: the fastest row that keeps the metric" : null));
            html.Element("td", r.KnobValue is { } v ? $"{r.KnobName} = {Invariant.Format(v, "G4")}" : "—", ("style", TableStyle.Cell));
            html.Element("td", Invariant.Metric(r.Metric), ("style", TableStyle.NumericCell));
            html.Element("td", Invariant.Format(r.MeanLayers, "0.00"), ("style", TableStyle.NumericCell));
            html.Element("td", r.Diversity is { } d ? $"{Invariant.Integer(d.DistinctPlans)} ({Invariant.Format(d.EntropyBits, "0.00")} bits)" : "—", ("style", TableStyle.NumericCell),
                ("title", r.Diversity is { } t ? "most used plans: " + string.Join(", ", t.TopPlans.Select(p => $"{p.Plan} {Invariant.Percent(p.Share)}")) : null));
            html.Element("td", Invariant.Format(r.Batch1.P50Ms, "0.00"), ("style", TableStyle.NumericCell));
            html.Element("td", Invariant.Format(r.Batch1.P90Ms, "0.00"), ("style", TableStyle.NumericCell));
            html.Element("td", Invariant.Format(r.Batch1.P99Ms, "0.00"), ("style", TableStyle.NumericCell));
            html.Element("td", Invariant.Format(r.Throughput, "N1"), ("style", TableStyle.NumericCell));
            html.Element("td", Invariant.Format(r.SpeedUp, "0.00") + "×", ("style", TableStyle.NumericCell));
            html.Close();
        }
        html.Close().Close();
        if (shown < rows.Count) ViewFrame.TruncationNote(html, shown, rows.Count, "rows");
        ViewFrame.Caption(html, $"Latency: per input at batch size 1 (p50/p90/p99 over {(Results.Count > 0 ? Invariant.Count(Results[0].Batch1.Count) : "0")} inputs). Speed-up: the full model's mean batch-1 latency divided by the row's. Plans: distinct layer plans used and the entropy of their distribution (0 bits: one plan for every input; hover for the most used). "
            + $"★ the fastest row whose {metricName} is at least {Invariant.Percent(MinRelativeMetric)} of {(Results.Any(r => r.Method == "full") ? "the full model's" : "the best")} ({Invariant.Metric(ReferenceMetric)}).");
        html.Close();
        return html.ToString();
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => $"LatencyTable: {Results.Count} rows; best {Best?.Label ?? "none"}";
}
