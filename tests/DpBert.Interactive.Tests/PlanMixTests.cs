using DpBert.Bert;
using DpBert.Evaluation;

namespace DpBert.Interactive.Tests;

public class PlanMixTests
{
    // Four inputs: two ran 1100, one 1110, one 1000. Shares 1/2, 1/4, 1/4: entropy -(1/2 log2 1/2 + 2 * 1/4 log2 1/4) = 1.5 bits.
    private static readonly PlanDiversity Mixed = PlanDiversity.From(
        new[] { "1100", "1110", "1100", "1000" }.Select(LayerPlan.Parse).ToList(), [0.95, 0.60, 0.90, 0.99], [8, 20, 9, 5]);
    private static readonly MethodResult Full = Samples.Method("full", null, 0.900, 10.0, 1.00);
    private static readonly MethodResult Planned = Samples.Method("dpbert", 0.5, 0.890, 6.0, 1.67) with { Diversity = Mixed }; // mean layers 4 / 1.67
    private static readonly MethodResult OnePlan = Samples.Method("dpbert", 0.7, 0.850, 5.0, 2.00) with
    {
        Diversity = PlanDiversity.From(new[] { "1100", "1100", "1100" }.Select(LayerPlan.Parse).ToList(), [0.9, 0.8, 0.7], [5, 6, 7]),
    };

    [Fact]
    public void Rows_show_distinct_plans_entropy_and_each_plans_share_of_the_inputs()
    {
        var root = Xhtml.Parse(new[] { Full, Planned, OnePlan }.ToPlanMix().ToHtml());
        var rows = root.All("tr").Where(r => r.Attr("data-method") is not null).ToList();
        Assert.Equal(2, rows.Count); // the full model has no plans to mix
        var cells = rows[0].All("td").Select(c => c.Value).ToList();
        Assert.Equal(["dpbert theta=0.5", "2.40", "3", "1.50"], cells.Take(4));
        var segments = rows[0].All("g").Where(g => g.Attr("class") == "plan-segment").ToList();
        Assert.Equal(["1100", "1000", "1110"], segments.Select(s => s.Attr("data-plan")));   // most used first, ties by plan
        Assert.Equal([0.5, 0.25, 0.25], segments.Select(s => double.Parse(s.Attr("data-share")!, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("209.0", double.Parse(segments[0].All("rect").Single().Attr("width")!, System.Globalization.CultureInfo.InvariantCulture).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)); // half of 420 px, minus the 1 px gap

        var single = rows[1];
        Assert.Equal("1", single.Attr("data-distinct-plans"));
        Assert.Equal("0.00", single.All("td").ElementAt(3).Value);
        Assert.Equal("—", single.All("td").ElementAt(4).Value); // layers do not vary: no correlation
    }

    [Fact]
    public void Without_any_planning_result_it_says_so()
    {
        string html = new[] { Full }.ToPlanMix().ToHtml();
        Assert.Contains("No result carries plan diversity", html);
        Xhtml.Parse(html);
    }

    [Fact]
    public void Latency_table_and_data_frame_carry_the_diversity()
    {
        var table = Xhtml.Parse(new[] { Full, Planned }.ToLatencyTable().ToHtml());
        var plansCell = table.All("tr").First(r => r.Attr("data-method") == "dpbert").All("td").ElementAt(4);
        Assert.Equal("3 (1.50 bits)", plansCell.Value);
        Assert.Equal("most used plans: 1100 50.0%, 1000 25.0%, 1110 25.0%", plansCell.Attr("title"));

        var frame = new[] { Full, Planned }.ToDataFrame();
        Assert.Null(frame["distinct_plans"][0]);
        Assert.Equal(3, frame["distinct_plans"][1]);
        Assert.Equal(1.5, (double)frame["plan_entropy_bits"][1]!, 12);
        Assert.Equal("1100", frame["top_plan"][1]);
    }
}
