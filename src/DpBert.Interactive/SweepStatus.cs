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
        ProgressBar.Write(html, Total == 0 ? 0 : (double)Done / Total, State);
        ProgressBar.Caption(html, Summary());
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
