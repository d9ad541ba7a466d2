using DpBert.Evaluation;

namespace DpBert.Interactive.Tests;

/// <summary>Live outputs, sweep monitoring and interactive charts outside a kernel, and with hosts set as the kernel extension sets them.</summary>
[Collection(StaticHosts.Name)]
public sealed class LiveOutputTests : IDisposable
{
    public void Dispose()
    {
        LiveOutput.Host = null;
        InteractiveChart.Renderer = null;
    }

    [Fact]
    public void Without_a_kernel_each_state_is_written_to_the_console()
    {
        LiveOutput.Host = null;
        var console = new StringWriter();
        var saved = Console.Out;
        Console.SetOut(console);
        try
        {
            var output = LiveOutput.Show("first");
            output.Update("second");
        }
        finally { Console.SetOut(saved); }
        Assert.Equal(["first", "second"], console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_sweep_monitor_keeps_the_latest_round_of_each_point_and_finishes()
    {
        var shown = new List<object>();
        LiveOutput.Host = view => { shown.Add(view); return shown.Add; };
        var monitor = SweepMonitor.Show("sst2", "accuracy");
        var round1 = Samples.Method("dpbert", 0.5, 0.89, 6, 1.67);
        var round2 = round1 with { Batch1 = round1.Batch1 with { MeanMs = 5 } };
        monitor.Report((1, 4, Samples.Method("full", null, 0.9, 10, 1)));
        monitor.Report((2, 4, round1));
        monitor.Report((4, 4, round2));
        monitor.Complete();

        var states = shown.Cast<SweepStatus>().ToList();
        Assert.Equal(["waiting", "running", "running", "running", "finished"], states.Select(s => s.State));
        Assert.Equal(2, states[^1].Points.Count);
        Assert.Equal(5, states[^1].Points.Single(p => p.Method == "dpbert").Batch1.MeanMs);
        Assert.Contains("data-state=\"finished\"", states[^1].ToHtml(), StringComparison.Ordinal);
        Assert.Contains("data-dpbert=\"tradeoff\"", states[^1].ToHtml(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_interactive_chart_without_the_kernel_extension_or_the_plotly_package_says_how_to_get_them()
    {
        InteractiveChart.Renderer = null;
        var chart = new TradeoffResult("sst2", "accuracy", [], []).ToInteractiveChart();
        var error = Assert.Throws<InvalidOperationException>(chart.ToHtml);
        Assert.Contains("#r \"nuget: DpBert.Interactive\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("DpBert.Interactive.Plotly", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_interactive_chart_is_rendered_by_the_renderer_the_kernel_sets()
    {
        InteractiveChart.Renderer = chart => $"<div data-dpbert=\"{chart.ViewName}\"></div>";
        Assert.Equal("<div data-dpbert=\"plotly-tradeoff\"></div>", new TradeoffResult("sst2", "accuracy", [], []).ToInteractiveChart().ToHtml());
        Assert.Equal("plotly-layer-usage", new[] { Samples.Path("11") }.ToLayerUsageHeatmap().ToInteractiveChart().ViewName);
        Assert.Throws<NotSupportedException>(() => new InteractiveChart(new[] { Samples.Path("11") }.ToPathGallery()).ToHtml());
    }
}
