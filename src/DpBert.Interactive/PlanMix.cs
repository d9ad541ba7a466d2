using DpBert.Evaluation;
using DpBert.Interactive.Html;

namespace DpBert.Interactive;

/// <summary>
/// Which plans a method used, per knob setting: one bar per row, split into its most used plans (each segment as wide
/// as its share of the inputs, labelled <c>110100</c> with 1 = the layer ran) and the rest, beside the number of
/// distinct plans, the entropy of the plan distribution and how layers run relate to the full model's confidence and
/// to input length. A planner that learned one fixed subset of layers shows one segment and 0 bits; one that plans per
/// input shows several. Rows without <see cref="MethodResult.Diversity"/> (the full model, early exit) are left out.
/// </summary>
/// <param name="Results">Measured methods; those with plan diversity are drawn.</param>
/// <param name="MaxRows">Rows drawn at most.</param>
public sealed record PlanMix(IReadOnlyList<MethodResult> Results, int MaxRows = 40) : IHtmlView
{
    private const double BarWidth = 420, BarHeight = 22;

    /// <summary>The rows drawn: results with a plan diversity, in the given order.</summary>
    public IReadOnlyList<MethodResult> Rows => Results.Where(r => r.Diversity is not null).ToList();

    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        var rows = Rows;
        ViewFrame.Open(html, "plan-mix", "Plans used per input");
        if (rows.Count == 0)
        {
            ViewFrame.Caption(html, "No result carries plan diversity (it is measured for methods that plan: DPBERT, the oracle, static depth).");
            html.Close();
            return html.ToString();
        }
        html.Open("table", ("style", TableStyle.Table));
        html.Open("thead").Open("tr");
        html.Element("th", "method", ("style", TableStyle.Header));
        foreach (string header in new[] { "mean layers", "distinct plans", "entropy (bits)", "r(layers, confidence)", "r(layers, length)" })
            html.Element("th", header, ("style", TableStyle.NumericHeader));
        html.Element("th", "most used plans (share of inputs)", ("style", TableStyle.Header));
        html.Close().Close();
        html.Open("tbody");
        int shown = Math.Min(rows.Count, MaxRows);
        foreach (var r in rows.Take(shown))
        {
            var d = r.Diversity!;
            html.Open("tr", ("data-method", r.Method), ("data-distinct-plans", Invariant.Integer(d.DistinctPlans)));
            html.Element("td", r.Label, ("style", TableStyle.Cell));
            html.Element("td", Invariant.Format(r.MeanLayers, "0.00"), ("style", TableStyle.NumericCell));
            html.Element("td", Invariant.Integer(d.DistinctPlans), ("style", TableStyle.NumericCell));
            html.Element("td", Invariant.Format(d.EntropyBits, "0.00"), ("style", TableStyle.NumericCell));
            html.Element("td", Correlation(d.LayersVsConfidence), ("style", TableStyle.NumericCell));
            html.Element("td", Correlation(d.LayersVsLength), ("style", TableStyle.NumericCell));
            html.Open("td", ("style", TableStyle.Cell));
            Bar(html, d);
            html.Close();
            html.Close();
        }
        html.Close().Close();
        if (shown < rows.Count) ViewFrame.TruncationNote(html, shown, rows.Count, "rows");
        ViewFrame.Caption(html, "Each bar splits the inputs by the plan they ran (1 = the layer ran, 0 = bypassed), most used first; grey: all other plans. "
            + "Entropy 0: one plan for every input. r: Pearson correlation of the layers an input ran with the full model's confidence (negative: "
            + "less confident inputs run more layers) and with its length; — when the layers do not vary.");
        html.Close();
        return html.ToString();
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => $"PlanMix: {Rows.Count} rows with plan diversity";

    private static string Correlation(double r) => double.IsNaN(r) ? "—" : Invariant.Format(r, "0.00");

    // The stacked bar: one segment per top plan, then the rest.
    private static void Bar(HtmlBuilder html, PlanDiversity d)
    {
        double other = Math.Max(0, 1 - d.TopPlans.Sum(p => p.Share));
        html.Open("svg", ("xmlns", "http://www.w3.org/2000/svg"), ("width", Invariant.Coordinate(BarWidth)), ("height", Invariant.Coordinate(BarHeight)),
            ("viewBox", $"0 0 {Invariant.Coordinate(BarWidth)} {Invariant.Coordinate(BarHeight)}"), ("role", "img"),
            ("aria-label", string.Join(", ", d.TopPlans.Select(p => $"{p.Plan} {Invariant.Percent(p.Share)}"))), ("style", "vertical-align: middle; color: inherit;"));
        double x = 0;
        for (int i = 0; i < d.TopPlans.Count; i++)
        {
            var p = d.TopPlans[i];
            double w = p.Share * BarWidth;
            html.Open("g", ("class", "plan-segment"), ("data-plan", p.Plan), ("data-share", Invariant.Format(p.Share, "0.####")));
            html.Element("title", $"plan {p.Plan} ({p.Plan.Count(c => c == '1')} layers): {Invariant.Percent(p.Share)} of the inputs");
            html.Empty("rect", ("x", Invariant.Coordinate(x)), ("y", "1"), ("width", Invariant.Coordinate(Math.Max(0, w - 1))), ("height", Invariant.Coordinate(BarHeight - 2)),
                ("fill", Palette.Series(i)), ("fill-opacity", "0.8"));
            if (w >= 7.5 * p.Plan.Length)
                html.Element("text", p.Plan, ("x", Invariant.Coordinate(x + w / 2)), ("y", Invariant.Coordinate(BarHeight / 2 + 4)), ("text-anchor", "middle"),
                    ("font-size", "11"), ("font-family", "ui-monospace, monospace"), ("fill", "#ffffff"));
            html.Close();
            x += w;
        }
        if (other > 0)
        {
            html.Open("g", ("class", "plan-segment"), ("data-plan", "other"), ("data-share", Invariant.Format(other, "0.####")));
            html.Element("title", $"{d.DistinctPlans - d.TopPlans.Count} other plans: {Invariant.Percent(other)} of the inputs");
            html.Empty("rect", ("x", Invariant.Coordinate(x)), ("y", "1"), ("width", Invariant.Coordinate(Math.Max(0, other * BarWidth))), ("height", Invariant.Coordinate(BarHeight - 2)),
                ("fill", "currentColor"), ("fill-opacity", "0.2"));
            html.Close();
        }
        html.Close();
    }
}
