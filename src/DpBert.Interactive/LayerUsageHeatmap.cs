using DpBert.Interactive.Html;
using DpBert.Bert;
using DpBert.Evaluation;

namespace DpBert.Interactive;

/// <summary>
/// How often each layer runs, per predicted label or per input-length bucket, plus a row over all inputs:
/// the darker the cell, the more inputs ran that layer. Its size does not grow with the number of inputs.
/// </summary>
/// <param name="Paths">The inputs' paths; every plan must cover the same number of layers.</param>
/// <param name="GroupBy">Rows by predicted label or by length.</param>
/// <param name="LengthEdges">Bucket boundaries in word pieces for <see cref="LayerUsageGrouping.Length"/> (default 16, 32, 64).</param>
public sealed record LayerUsageHeatmap(IReadOnlyList<InputPath> Paths, LayerUsageGrouping GroupBy = LayerUsageGrouping.PredictedLabel,
    IReadOnlyList<int>? LengthEdges = null) : IHtmlView
{
    /// <summary>The group rows (sorted by label, or by length), then the row over all inputs.</summary>
    /// <exception cref="ArgumentException">Plans of different depths.</exception>
    public IReadOnlyList<LayerUsageRow> ComputeRows()
    {
        if (Paths.Count == 0) return [];
        int layers = Paths[0].Plan.LayerCount;
        var bad = Paths.FirstOrDefault(p => p.Plan.LayerCount != layers);
        if (bad is not null) throw new ArgumentException($"paths cover different depths: {layers} and {bad.Plan.LayerCount} layers (\"{bad.Text}\")", nameof(Paths));
        var edges = (LengthEdges ?? [16, 32, 64]).Order().ToArray();
        var groups = GroupBy == LayerUsageGrouping.PredictedLabel
            ? Paths.GroupBy(p => p.PredictedLabel).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.ToList()))
            : Paths.GroupBy(p => Bucket(p.Tokens.Count, edges)).OrderBy(g => g.Key).Select(g => (BucketName(g.Key, edges), g.ToList()));
        var rows = groups.Select(g => Row(g.Item1, g.Item2, layers)).ToList();
        rows.Add(Row("all inputs", Paths, layers));
        return rows;
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        var rows = ComputeRows();
        ViewFrame.Open(html, "layer-usage-heatmap", $"Layer usage by {(GroupBy == LayerUsageGrouping.PredictedLabel ? "predicted label" : "input length")} ({Invariant.Count(Paths.Count)} inputs)");
        if (rows.Count == 0)
        {
            ViewFrame.Caption(html, "No inputs.");
            html.Close();
            return html.ToString();
        }
        int layers = rows[0].RunCounts.Count;
        html.Open("table", ("style", TableStyle.Table));
        html.Open("thead").Open("tr");
        html.Element("th", GroupBy == LayerUsageGrouping.PredictedLabel ? "label" : "length", ("style", TableStyle.Header));
        html.Element("th", "inputs", ("style", TableStyle.NumericHeader));
        for (int l = 0; l < layers; l++) html.Element("th", $"L{l + 1}", ("style", TableStyle.NumericHeader + " text-align: center;"));
        html.Close().Close();
        html.Open("tbody");
        foreach (var row in rows)
        {
            html.Open("tr", ("data-group", row.Group));
            html.Element("td", row.Group, ("style", TableStyle.Cell + (row.Group == "all inputs" ? " font-weight: 600;" : "")));
            html.Element("td", Invariant.Count(row.Count), ("style", TableStyle.NumericCell));
            for (int l = 0; l < layers; l++)
            {
                double usage = row.Usage(l);
                html.Element("td", Invariant.Format(usage * 100, "0"), ("class", "usage-cell"), ("data-usage", Invariant.Format(usage, "0.####")),
                    ("title", $"{row.Group}, layer {l + 1}: ran for {Invariant.Count(row.RunCounts[l])} of {Invariant.Count(row.Count)} inputs ({Invariant.Percent(usage)})"),
                    ("style", $"{TableStyle.NumericCell} text-align: center; min-width: 2.2em; background: rgba(46, 158, 91, {Invariant.Format(0.08 + 0.8 * usage, "0.###")});"));
            }
            html.Close();
        }
        html.Close().Close();
        ViewFrame.Caption(html, "Percent of the group's inputs that ran each layer (darker: more often).");
        html.Close();
        return html.ToString();
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => $"LayerUsageHeatmap: {Paths.Count} inputs by {GroupBy}";

    private static LayerUsageRow Row(string group, IReadOnlyList<InputPath> paths, int layers)
    {
        var counts = new int[layers];
        foreach (var p in paths)
            for (int l = 0; l < layers; l++)
                if (p.Plan.Runs(l)) counts[l]++;
        return new LayerUsageRow(group, paths.Count, counts);
    }

    private static int Bucket(int length, int[] edges)
    {
        int bucket = 0;
        while (bucket < edges.Length && length >= edges[bucket]) bucket++;
        return bucket;
    }

    private static string BucketName(int bucket, int[] edges) =>
        edges.Length == 0 ? "all lengths"
        : bucket == 0 ? $"< {edges[0]} tokens"
        : bucket == edges.Length ? $"≥ {edges[^1]} tokens"
        : $"{edges[bucket - 1]}-{edges[bucket] - 1} tokens";
}
