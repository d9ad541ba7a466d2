namespace DpBert.Interactive.Html;

/// <summary>The outer element every view shares: a themed container with a data attribute naming the view.</summary>
internal static class ViewFrame
{
    /// <summary>Opens <c>&lt;div class="dpbert" data-dpbert="name"&gt;</c> with an optional heading.</summary>
    public static void Open(HtmlBuilder html, string dataName, string? heading = null)
    {
        html.Open("div", ("class", "dpbert dpbert-" + dataName), ("data-dpbert", dataName), ("style", Palette.Font + " line-height: 1.4; margin: 4px 0;"));
        if (heading is not null) html.Element("div", heading, ("style", "font-weight: 600; margin-bottom: 4px;"));
    }

    /// <summary>A note that only part of the data is shown, so a large input never becomes megabytes of HTML.</summary>
    public static void TruncationNote(HtmlBuilder html, int shown, int total, string what) =>
        html.Element("div", $"Showing {Invariant.Count(shown)} of {Invariant.Count(total)} {what}; the rest are left out to keep the page small.",
            ("class", "dpbert-note"), ("data-dpbert-truncated", "true"), ("style", Palette.MutedText + " margin-top: 4px;"));

    /// <summary>A faded line of explanation under a view.</summary>
    public static void Caption(HtmlBuilder html, string text) =>
        html.Element("div", text, ("class", "dpbert-caption"), ("style", Palette.MutedText + " margin-top: 4px;"));
}
