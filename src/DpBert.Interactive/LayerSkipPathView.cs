using DpBert.Interactive.Html;
using DpBert.Bert;
using DpBert.Evaluation;

namespace DpBert.Interactive;

/// <summary>
/// One input's path through the encoder: its word pieces, the prediction with its confidence, and one cell per
/// layer, filled when the layer ran and dashed when it was bypassed (hover for the planner's probability).
/// </summary>
/// <param name="Path">The input's path.</param>
/// <param name="MaxTokens">Word pieces shown before the rest are summarised.</param>
public sealed record LayerSkipPathView(InputPath Path, int MaxTokens = 128) : IHtmlView
{
    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        ViewFrame.Open(html, "layer-skip-path");
        html.Open("div", ("style", "margin-bottom: 4px;"));
        html.Element("strong", Path.PredictedLabel, ("class", "prediction"));
        html.Text($" {Invariant.Percent(Path.Confidence)} · {Path.Method} · {Path.Plan.ExecutedCount} of {Path.Plan.LayerCount} layers ran");
        if (Path.GoldLabel is not null) html.Text($" · gold label {Path.GoldLabel}{(Path.GoldLabel == Path.PredictedLabel ? " ✓" : " ✗")}");
        html.Close();
        TokenChips.Write(html, Path.Tokens, MaxTokens);
        html.Open("div", ("style", "margin-top: 6px; display: flex; align-items: center; gap: 8px;"));
        html.Element("span", "layers", ("style", Palette.MutedText));
        LayerCells.Write(html, Path, cell: 22, numbered: true);
        html.Close();
        ViewFrame.Caption(html, "Filled: the layer ran. Dashed: bypassed (its input passed through unchanged). Hover a cell for the planner's probability.");
        html.Close();
        return html.ToString();
    }

    /// <summary>Plain-text summary, e.g. <c>positive 93.1% [1101] "a gorgeous movie"</c>.</summary>
    public override string ToString() => $"{Path.PredictedLabel} {Invariant.Percent(Path.Confidence)} [{Path.Plan}] \"{Path.Text}\"";
}
