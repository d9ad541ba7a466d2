namespace DpBert.Interactive.Html;

/// <summary>A row of coloured swatches with names, under a chart.</summary>
internal static class Legend
{
    /// <summary>Writes one swatch per entry; a dashed entry is drawn as a dashed line.</summary>
    public static void Write(HtmlBuilder html, IEnumerable<(string Name, string Color, bool Dashed)> entries)
    {
        html.Open("div", ("class", "dpbert-legend"), ("style", "display: flex; flex-wrap: wrap; gap: 14px; margin-top: 2px;"));
        foreach (var (name, color, dashed) in entries)
        {
            html.Open("span", ("style", "display: inline-flex; align-items: center; gap: 5px;"));
            html.Open("svg", ("xmlns", "http://www.w3.org/2000/svg"), ("width", "22"), ("height", "10"), ("viewBox", "0 0 22 10"));
            html.Empty("line", ("x1", "1"), ("x2", "21"), ("y1", "5"), ("y2", "5"), ("stroke", color), ("stroke-width", "2.5"), ("stroke-dasharray", dashed ? "4 3" : null));
            html.Close();
            html.Text(name);
            html.Close();
        }
        html.Close();
    }
}
