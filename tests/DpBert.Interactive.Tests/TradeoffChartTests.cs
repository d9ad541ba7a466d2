using DpBert.Evaluation;

namespace DpBert.Interactive.Tests;

public class TradeoffChartTests
{
    private static TradeoffResult Sweep()
    {
        var full = Samples.Method("full", null, 0.90, 10, 1);
        var dp1 = Samples.Method("dpbert", 0.3, 0.89, 7, 1.43);
        var dp2 = Samples.Method("dpbert", 0.7, 0.86, 4, 2.5);
        var pabee = Samples.Method("pabee", 2, 0.85, 6, 1.67, "patience"); // dominated by dp2 (faster and better)
        var st = Samples.Method("static", 2, 0.80, 5, 2, "depth");         // dominated by dp2
        return new TradeoffResult("sst2", "accuracy", [full, dp1, dp2, pabee, st], [dp2, dp1, full]);
    }

    [Fact]
    public void Marks_exactly_the_pareto_front_points()
    {
        var root = Xhtml.Parse(Sweep().ToChart().ToHtml());
        var points = root.All("g").Where(g => g.Attr("class") == "point").ToList();
        Assert.Equal(5, points.Count);
        Assert.Equal(["full", "dpbert theta=0.3", "dpbert theta=0.7"], points.Where(p => p.Attr("data-pareto") == "true").Select(p => p.Attr("data-label")).OrderByDescending(l => l == "full").ThenBy(l => l));
        Assert.Equal(3, root.All("circle").Count(c => c.Attr("class") == "pareto-ring"));
    }

    [Fact]
    public void Front_line_runs_through_the_front_fastest_first()
    {
        var root = Xhtml.Parse(Sweep().ToChart().ToHtml());
        var line = root.All("polyline").Single(p => p.Attr("data-series") == "pareto-front");
        var xs = line.Attr("points")!.Split(' ').Select(p => double.Parse(p.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, xs.Count);
        Assert.Equal(xs.Order(), xs);
    }

    [Fact]
    public void One_series_per_method_with_a_legend()
    {
        var root = Xhtml.Parse(Sweep().ToChart().ToHtml());
        Assert.Equal(["full", "dpbert", "pabee", "static"], root.All("g").Where(g => g.Attr("class") == "series").Select(g => g.Attr("data-method")));
        string legend = root.All("div").Single(d => d.Attr("class") == "dpbert-legend").Value;
        Assert.Contains("pabee", legend);
        Assert.Contains("Pareto front", legend);
    }

    [Fact]
    public void Points_sit_where_their_values_say()
    {
        var root = Xhtml.Parse(Sweep().ToChart().ToHtml());
        double Cx(string label) => double.Parse(root.All("g").Single(g => g.Attr("data-label") == label).All("circle").Single().Attr("cx")!, System.Globalization.CultureInfo.InvariantCulture);
        double Cy(string label) => double.Parse(root.All("g").Single(g => g.Attr("data-label") == label).All("circle").Single().Attr("cy")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Cx("dpbert theta=0.7") < Cx("static depth=2") && Cx("static depth=2") < Cx("full")); // faster is further left
        Assert.True(Cy("full") < Cy("dpbert theta=0.7") && Cy("dpbert theta=0.7") < Cy("static depth=2")); // better is higher (smaller y)
    }
}
