namespace DpBert.Interactive.Tests;

public class LayerSkipPathViewTests
{
    [Fact]
    public void Plan_1101_draws_three_run_cells_and_one_bypassed_cell()
    {
        var root = Xhtml.Parse(Samples.Path("1101", probabilities: [null, 0.91, 0.12, 0.77]).ToPathView().ToHtml());
        var states = root.All("g").Where(g => g.Attr("class") == "layer-cell").Select(g => g.Attr("data-state")).ToList();
        Assert.Equal(["run", "run", "bypassed", "run"], states);
    }

    [Fact]
    public void Each_cell_carries_the_planner_probability_as_its_title()
    {
        var root = Xhtml.Parse(Samples.Path("1101", probabilities: [null, 0.91, 0.12, 0.77]).ToPathView().ToHtml());
        var titles = root.All("g").Where(g => g.Attr("class") == "layer-cell").Select(g => g.All("title").Single().Value).ToList();
        Assert.Equal("layer 1: ran (not decided by a planner)", titles[0]);
        Assert.Equal("layer 3: bypassed (planner p = 0.12)", titles[2]);
        Assert.Equal("layer 4: ran (planner p = 0.77)", titles[3]);
    }

    [Fact]
    public void Shows_prediction_confidence_and_tokens()
    {
        var root = Xhtml.Parse(Samples.Path("1111").ToPathView().ToHtml());
        Assert.Equal("positive", root.All("strong").Single(e => e.Attr("class") == "prediction").Value);
        Assert.Contains("93.0%", root.Value);
        Assert.Contains("4 of 4 layers ran", root.Value);
        Assert.Equal(5, root.All("span").Count(s => s.Attr("class") is "token" or "token special"));
    }

    [Fact]
    public void Markup_in_token_text_is_escaped_not_interpreted()
    {
        var path = Samples.Path("11", text: "<script>alert(1)</script>", tokens: ["[CLS]", "<script>", "alert", "\"&'", "[SEP]"]);
        string html = path.ToPathView().ToHtml();
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        var root = Xhtml.Parse(html);
        Assert.Empty(root.All("script"));
        Assert.Contains(root.All("span"), s => s.Value == "\"&'");
    }

    [Fact]
    public void Long_inputs_show_the_first_tokens_and_say_how_many_are_left_out()
    {
        var tokens = Enumerable.Range(0, 1000).Select(i => "w" + i).ToList();
        var root = Xhtml.Parse(new LayerSkipPathView(Samples.Path("11", tokens: tokens), MaxTokens: 100).ToHtml());
        Assert.Equal(100, root.All("span").Count(s => s.Attr("class") == "token"));
        Assert.Contains(root.All("span"), s => s.Attr("data-dpbert-truncated") == "true" && s.Value.Contains("900 more", StringComparison.Ordinal));
    }

    [Fact]
    public void Plain_text_summary_names_label_plan_and_text() =>
        Assert.Equal("positive 93.0% [1101] \"a gorgeous movie\"", Samples.Path("1101").ToPathView().ToString());
}
