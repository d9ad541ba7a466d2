namespace DpBert.Interactive.Tests;

public class PathGalleryTests
{
    [Fact]
    public void One_row_per_path_with_its_plan()
    {
        var root = Xhtml.Parse(new[] { Samples.Path("1111"), Samples.Path("1001", "negative") }.ToPathGallery().ToHtml());
        var rows = root.All("tr").Where(r => r.Attr("class") == "path-row").ToList();
        Assert.Equal(["1111", "1001"], rows.Select(r => r.Attr("data-plan")));
        Assert.Equal(2, rows[1].All("g").Count(g => g.Attr("data-state") == "bypassed"));
        Assert.Contains("Mean layers run: 3.00 of 4", root.Value);
    }

    [Fact]
    public void Ten_thousand_paths_are_truncated_with_a_note_and_stay_small()
    {
        var paths = Enumerable.Range(0, 10_000).Select(i => Samples.Path(i % 2 == 0 ? "1101" : "1111", text: "sentence " + i)).ToList();
        string html = paths.ToPathGallery(maxShown: 50).ToHtml();
        Assert.True(html.Length < 100_000, $"{html.Length} characters");
        var root = Xhtml.Parse(html);
        Assert.Equal(50, root.All("tr").Count(r => r.Attr("class") == "path-row"));
        var note = root.All("div").Single(d => d.Attr("data-dpbert-truncated") == "true");
        Assert.Contains("Showing 50 of 10,000 inputs", note.Value);
        Assert.Contains("Mean layers run: 3.50 of 4", root.Value); // the summary covers every input, not only those shown
    }
}
