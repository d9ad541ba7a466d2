using System.IO.Compression;
using DpBert.Evaluation;
using DpBert.Interactive;
using DpBert.Interactive.KernelExtension;
using DpBert.Bert;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// The interactive charts as the kernel gets them: the packed plotly folder loaded by the extension's
/// <see cref="PlotlyCompanion"/> in a process that, like the kernel, already has FSharp.Core 10.0 loaded; the charts then
/// drawn by headless Chromium with the network off.
/// </summary>
[Collection(NotebookCollection.Name)]
public class PlotlyCompanionTests(LocalFeed feed)
{
    [Fact]
    public void Plotly_companion_renders_charts_beside_an_older_FSharp_Core_and_they_draw_offline()
    {
        Assert.Equal(new Version(10, 0, 0, 0), typeof(Microsoft.FSharp.Core.Unit).Assembly.GetName().Version); // the kernel's, loaded first

        string folder = Path.Combine(RepositoryPaths.Artifacts, "plotly-companion");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        using (var package = ZipFile.OpenRead(feed.Package("DpBert.Interactive")))
            foreach (var entry in package.Entries.Where(e => e.FullName.StartsWith("interactive-extensions/dotnet/plotly/", StringComparison.Ordinal) && !e.FullName.EndsWith('/')))
            {
                Directory.CreateDirectory(folder);
                entry.ExtractToFile(Path.Combine(folder, entry.Name));
            }
        var companion = PlotlyCompanion.Load(folder);

        var points = new[] { Point("full", null, 0.90, 10), Point("dpbert", 0.5, 0.89, 6), Point("dpbert", 0.7, 0.85, 4), Point("static", 2, 0.80, 5) };
        var tradeoff = new TradeoffResult("sst2", "accuracy", points, ParetoFront.Of(points));
        var curves = new TrainingCurves([new TrainingStepPoint(1, 0.1, 0.7, 1e-3), new TrainingStepPoint(2, 0.2, 0.6, 9e-4), new TrainingStepPoint(3, 0.3, 0.5, 8e-4)],
            [new TrainingEvaluationPoint(3, 0.3, new Dictionary<string, double> { ["accuracy"] = 0.6 })]);
        var paths = new[] { InputPathOf("1101", "positive"), InputPathOf("1111", "negative"), InputPathOf("1001", "positive") };
        string[] fragments =
        [
            companion.Render(tradeoff.ToInteractiveChart()),
            companion.Render(curves.ToInteractiveChart()),
            companion.Render(paths.ToLayerUsageHeatmap().ToInteractiveChart()),
        ];

        Assert.Contains("plotly.js v", fragments[0], StringComparison.Ordinal);          // the library, inline, once
        Assert.All(fragments[1..], f => Assert.DoesNotContain("plotly.js v", f, StringComparison.Ordinal));
        Assert.All(fragments, f => Assert.DoesNotContain("<script src", f, StringComparison.OrdinalIgnoreCase));
        Assert.Contains("theta = 0.5", fragments[0], StringComparison.Ordinal);    // hover text
        Assert.Contains("p99", fragments[0], StringComparison.Ordinal);

        string page = Path.Combine(RepositoryPaths.Artifacts, "plotly-companion.html");
        File.WriteAllText(page, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + string.Concat(fragments) + "</body></html>");
        var drawn = InteractiveChartFrames.Drawn(ExternalTools.RenderOffline(page, Path.ChangeExtension(page, ".png"), height: 1400));
        Assert.Equal(["plotly-tradeoff", "plotly-training-curves", "plotly-layer-usage"], drawn.Select(f => f.View));
        Assert.Equal(4, drawn[0].Traces);   // full, dpbert, static, Pareto front
        Assert.Equal(4, drawn[1].Traces);   // loss, its moving average, accuracy, learning rate
        Assert.Equal(1, drawn[2].Traces);   // the heatmap
    }

    private static MethodResult Point(string method, double? knob, double metric, double meanMs) =>
        new(method, knob is null ? "" : method == "static" ? "depth" : "theta", knob, "accuracy", metric, new Dictionary<string, double> { ["accuracy"] = metric },
            MeanLayers: meanMs / 2.5, LayerUsage: [1, 1, 0.5, 0.5], DepthHistogram: [0, 0, 1, 1, 2],
            new LatencyStatistics(100, meanMs, meanMs * 0.95, meanMs * 1.2, meanMs * 1.5), Throughput: 4000 / meanMs, ThroughputBatchSize: 32,
            SpeedUp: 10 / meanMs, ThroughputSpeedUp: 10 / meanMs);

    private static InputPath InputPathOf(string plan, string label) =>
        new("a movie", ["[CLS]", "a", "movie", "[SEP]"], label, 0.9, LayerPlan.Parse(plan), Enumerable.Repeat<double?>(0.5, plan.Length).ToArray());
}
