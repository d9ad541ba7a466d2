using DpBert.Interactive.Html;
using DpBert.Bert;
using DpBert.Evaluation;

namespace DpBert.Interactive;

/// <summary>
/// Many inputs' paths, one row each: the text, the prediction and the layer cells. Only the first
/// <see cref="MaxShown"/> rows are drawn, with a note saying how many were left out.
/// </summary>
/// <param name="Paths">The inputs' paths.</param>
/// <param name="MaxShown">Rows drawn at most.</param>
public sealed record PathGallery(IReadOnlyList<InputPath> Paths, int MaxShown = 50) : IHtmlView
{
    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        ViewFrame.Open(html, "path-gallery", $"Layer-skip paths of {Invariant.Count(Paths.Count)} inputs");
        int shown = Math.Min(Paths.Count, Math.Max(0, MaxShown));
        html.Open("table", ("style", TableStyle.Table));
        html.Open("thead").Open("tr");
        html.Element("th", "#", ("style", TableStyle.NumericHeader));
        html.Element("th", "input", ("style", TableStyle.Header));
        html.Element("th", "prediction", ("style", TableStyle.Header));
        html.Element("th", "layers", ("style", TableStyle.Header));
        html.Element("th", "ran", ("style", TableStyle.NumericHeader));
        html.Close().Close();
        html.Open("tbody");
        for (int i = 0; i < shown; i++)
        {
            var path = Paths[i];
            html.Open("tr", ("class", "path-row"), ("data-plan", path.Plan.ToString()));
            html.Element("td", Invariant.Count(i + 1), ("style", TableStyle.NumericCell));
            html.Element("td", TableStyle.Shorten(path.Text, 90), ("style", TableStyle.Cell), ("title", path.Text));
            html.Open("td", ("style", TableStyle.Cell + " white-space: nowrap;"));
            html.Text($"{path.PredictedLabel} {Invariant.Percent(path.Confidence)}");
            if (path.GoldLabel is not null) html.Text(path.GoldLabel == path.PredictedLabel ? " ✓" : " ✗");
            html.Close();
            html.Open("td", ("style", TableStyle.Cell));
            LayerCells.Write(html, path, cell: 12, numbered: false);
            html.Close();
            html.Element("td", $"{path.Plan.ExecutedCount}/{path.Plan.LayerCount}", ("style", TableStyle.NumericCell));
            html.Close();
        }
        html.Close().Close();
        if (shown < Paths.Count) ViewFrame.TruncationNote(html, shown, Paths.Count, "inputs");
        if (Paths.Count > 0)
            ViewFrame.Caption(html, $"Mean layers run: {Invariant.Format(Paths.Average(p => p.Plan.ExecutedCount), "0.00")} of {Paths[0].Plan.LayerCount} (over all {Invariant.Count(Paths.Count)} inputs).");
        html.Close();
        return html.ToString();
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => $"PathGallery: {Paths.Count} inputs";
}
