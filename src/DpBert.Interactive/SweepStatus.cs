using DpBert.Evaluation;
using DpBert.Interactive.Html;

namespace DpBert.Interactive;

/// <summary>
/// A trade-off sweep as it stands: a progress bar over the points to measure (every point once per round) and the
/// trade-off chart of the points measured so far. <see cref="SweepMonitor"/> produces a new one as the sweep advances.
/// </summary>
/// <param name="Task">The task swept.</param>
/// <param name="MetricName">The task's main metric.</param>
/// <param name="Done">Point measurements done (over all rounds).</param>
/// <param name="Total">Point measurements planned.</param>
/// <param name="Points">The latest measurement of each point so far.</param>
/// <param name="Finished">True once the sweep has ended.</param>
public sealed record SweepStatus(string Task, string MetricName, int Done, int Total, IReadOnlyList<MethodResult> Points, bool Finished = false) : IHtmlView
{
    /// <summary><c>waiting</c> before the first point, <c>running</c>, then <c>finished</c> (the <c>data-state</c> of the HTML).</summary>
    public string State => Finished ? "finished" : Points.Count == 0 ? "waiting" : "running";

    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        ViewFrame.Open(html, "sweep-status");
        double fraction = Total == 0 ? 0 : Math.Clamp((double)Done / Total, 0, 1);
        html.Open("div", ("class", "progress"), ("data-state", State), ("data-fraction", Invariant.Format(fraction, "0.####")),
            ("style", "width: 100%; max-width: 680px; height: 10px; border: 1px solid rgba(128, 128, 128, 0.6); border-radius: 5px; overflow: hidden;"));
        html.Element("div", "", ("style", $"width: {Invariant.Format(fraction * 100, "0.#")}%; height: 100%; background: {Palette.Run};"));
        html.Close();
        html.Element("div", Summary(), ("class", "progress-text"), ("style", "margin: 3px 0 6px; font-variant-numeric: tabular-nums;"));
        if (Points.Count > 0) html.View(new TradeoffChart(new TradeoffResult(Task, MetricName, Points, ParetoFront.Of(Points))));
        html.Close();
        return html.ToString();
    }

    /// <summary>One line: <c>sst2 sweep: 12/24 point measurements (50%) · 12 points</c>.</summary>
    public string Summary()
    {
        string text = $"{Task} sweep: {Invariant.Count(Done)}/{Invariant.Count(Total)} point measurements ({Invariant.Percent(Total == 0 ? 0 : (double)Done / Total)})";
        if (Points.Count == 0) return text + (Finished ? " · finished" : " · warming up and timing the first round…");
        return text + $" · {Invariant.Count(Points.Count)} points" + (Finished ? " · finished" : "");
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => Summary();
}
