namespace DpBert.Interactive.Tests;

public class LayerUsageHeatmapTests
{
    [Fact]
    public void Rows_per_label_count_how_often_each_layer_ran()
    {
        var paths = new[] { Samples.Path("1100", "negative"), Samples.Path("1111", "positive"), Samples.Path("1101", "positive"), Samples.Path("1000", "negative") };
        var rows = paths.ToLayerUsageHeatmap().ComputeRows();
        Assert.Equal(["negative", "positive", "all inputs"], rows.Select(r => r.Group));
        Assert.Equal([2, 1, 0, 0], rows[0].RunCounts);
        Assert.Equal([2, 2, 1, 2], rows[1].RunCounts);
        Assert.Equal([4, 3, 1, 2], rows[2].RunCounts);
        Assert.Equal(0.75, rows[2].Usage(1));
        var root = Xhtml.Parse(paths.ToLayerUsageHeatmap().ToHtml());
        var allRow = root.All("tr").Single(r => r.Attr("data-group") == "all inputs");
        Assert.Equal(["1", "0.75", "0.25", "0.5"], allRow.All("td").Where(c => c.Attr("class") == "usage-cell").Select(c => c.Attr("data-usage")));
    }

    [Fact]
    public void Length_buckets_group_by_token_count()
    {
        IReadOnlyList<string> Tokens(int n) => Enumerable.Range(0, n).Select(i => "t").ToList();
        var paths = new[] { Samples.Path("10", tokens: Tokens(5)), Samples.Path("11", tokens: Tokens(20)), Samples.Path("11", tokens: Tokens(31)), Samples.Path("11", tokens: Tokens(100)) };
        var rows = new LayerUsageHeatmap(paths, LayerUsageGrouping.Length).ComputeRows();
        Assert.Equal(["< 16 tokens", "16-31 tokens", "≥ 64 tokens", "all inputs"], rows.Select(r => r.Group));
        Assert.Equal([1, 2, 1, 4], rows.Select(r => r.Count));
        Assert.Equal([1, 0], rows[0].RunCounts);
    }

    [Fact]
    public void Paths_of_different_depths_are_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => new[] { Samples.Path("11"), Samples.Path("111", text: "odd one") }.ToLayerUsageHeatmap().ToHtml());
        Assert.Contains("odd one", e.Message);
    }
}
