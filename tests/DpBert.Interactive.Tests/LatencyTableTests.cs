using DpBert.Evaluation;

namespace DpBert.Interactive.Tests;

public class LatencyTableTests
{
    private static readonly MethodResult Full = Samples.Method("full", null, 0.900, 10.0, 1.00);
    private static readonly MethodResult DpSlow = Samples.Method("dpbert", 0.3, 0.895, 7.0, 1.43);
    private static readonly MethodResult DpFast = Samples.Method("dpbert", 0.7, 0.870, 4.0, 2.50);   // fastest, but below 98% of 0.900 = 0.882
    private static readonly MethodResult Static3 = Samples.Method("static", 3, 0.885, 6.5, 1.54, "depth"); // fastest of those at >= 0.882
    private static readonly MethodResult[] All = [DpFast, Static3, Full, DpSlow];

    [Fact]
    public void Best_row_is_the_fastest_that_keeps_98_percent_of_the_full_metric()
    {
        var table = All.ToLatencyTable();
        Assert.Same(Static3, table.Best);
        var best = Xhtml.Parse(table.ToHtml()).All("tr").Where(r => r.Attr("data-best") == "true").ToList();
        Assert.Single(best);
        Assert.Equal("static", best[0].Attr("data-method"));
    }

    [Fact]
    public void A_lower_threshold_lets_the_fastest_row_win()
    {
        Assert.Same(DpFast, All.ToLatencyTable(minRelativeMetric: 0.95).Best);
        Assert.Null(All.ToLatencyTable(minRelativeMetric: 1.01).Best); // nothing beats the full model's own metric by 1%
    }

    [Fact]
    public void Rows_are_ordered_full_first_then_by_method_and_knob()
    {
        var methods = All.ToLatencyTable().OrderedRows().Select(r => r.Label);
        Assert.Equal(["full", "dpbert theta=0.3", "dpbert theta=0.7", "static depth=3"], methods);
        Assert.Equal(["dpbert theta=0.7", "static depth=3", "dpbert theta=0.3", "full"], All.ToLatencyTable(order: LatencyTableOrder.SpeedUp).OrderedRows().Select(r => r.Label));
    }

    [Fact]
    public void Columns_carry_units_and_values_are_formatted()
    {
        var root = Xhtml.Parse(All.ToLatencyTable().ToHtml());
        var headers = root.All("th").Select(h => h.Value).ToList();
        Assert.Equal(["method", "knob", "accuracy", "mean layers", "plans (entropy)", "p50 (ms)", "p90 (ms)", "p99 (ms)", "throughput (inputs/s, batch 32)", "speed-up"], headers);
        var fullRow = root.All("tr").First(r => r.Attr("data-method") == "full").All("td").Select(c => c.Value).ToList();
        Assert.Equal(["full", "—", "0.9000", "4.00", "—", "9.50", "12.00", "15.00", "400.0", "1.00×"], fullRow);
    }

    [Fact]
    public void Without_a_full_row_the_best_metric_is_the_reference()
    {
        var table = new[] { DpSlow, DpFast }.ToLatencyTable();
        Assert.Equal(0.895, table.ReferenceMetric);
        Assert.Same(DpSlow, table.Best);
    }

    [Fact]
    public void A_negative_reference_metric_still_allows_only_a_small_loss()
    {
        var full = Samples.Method("full", null, -0.10, 10, 1);
        var close = Samples.Method("dpbert", 0.3, -0.101, 7, 1.43);  // within 2% of |-0.10|
        var far = Samples.Method("dpbert", 0.7, -0.20, 4, 2.5);
        var table = new[] { full, close, far }.ToLatencyTable();
        Assert.Equal(-0.102, table.MetricThreshold, 12);
        Assert.Same(close, table.Best);
    }
}
