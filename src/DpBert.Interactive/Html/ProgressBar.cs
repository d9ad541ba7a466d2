namespace DpBert.Interactive.Html;

/// <summary>The progress bar of the live views: a bar filled to the fraction done, with the view's state as <c>data-state</c>.</summary>
internal static class ProgressBar
{
    /// <summary>Writes the bar; <paramref name="state"/> is <c>waiting</c>, <c>running</c> or <c>finished</c>.</summary>
    public static void Write(HtmlBuilder html, double fraction, string state)
    {
        fraction = Math.Clamp(fraction, 0, 1);
        html.Open("div", ("class", "progress"), ("data-state", state), ("data-fraction", Invariant.Format(fraction, "0.####")),
            ("style", "width: 100%; max-width: 680px; height: 10px; border: 1px solid rgba(128, 128, 128, 0.6); border-radius: 5px; overflow: hidden;"));
        html.Element("div", "", ("style", $"width: {Invariant.Format(fraction * 100, "0.#")}%; height: 100%; background: {Palette.Run};"));
        html.Close();
    }

    /// <summary>The one-line summary under the bar.</summary>
    public static void Caption(HtmlBuilder html, string text) =>
        html.Element("div", text, ("class", "progress-text"), ("style", "margin: 3px 0 6px; font-variant-numeric: tabular-nums;"));
}
