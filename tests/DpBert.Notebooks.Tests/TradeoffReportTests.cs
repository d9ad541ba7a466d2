using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DpBert.Notebooks.Tests;

/// <summary>`dpbert tradeoff --html`: Plotly.NET in an ordinary .NET process, its page drawn by Chromium with the network off.</summary>
[Collection(NotebookCollection.Name)]
public partial class TradeoffReportTests
{

    [Fact]
    public async Task Tradeoff_html_report_draws_every_method_and_the_pareto_front_offline()
    {
        string folder = Path.Combine(RepositoryPaths.Artifacts, "tradeoff-report");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        string model = Path.Combine(folder, "model");
        Directory.CreateDirectory(model);
        foreach (string file in Directory.GetFiles(Path.Combine(RepositoryPaths.Shared, "golden", "bert-tiny-a"))) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        string report = Path.Combine(folder, "report.html");
        string cli = Path.Combine(RepositoryPaths.Root, "src", "DpBert.Cli", "bin", RepositoryPaths.Configuration, "net10.0", "DpBert.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "tradeoff", "--task", "sst2", "--model", model, "--data-dir", RepositoryPaths.GlueDirectory(), "--methods", "full,static",
            "--max-eval-samples", "24", "--batch1-inputs", "6", "--warmup", "2", "--warmup-ms", "0", "--batch-size", "8", "--max-seq-length", "32", "--html", report])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var process = Process.Start(start)!)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"dpbert tradeoff failed:\n{await stdout}\n{await stderr}");
            Assert.Contains($"interactive chart: {report}", await stdout, StringComparison.Ordinal);
        }

        string page = File.ReadAllText(report);
        Assert.Contains("plotly.js v", page, StringComparison.Ordinal);                     // inlined from Plotly.NET
        Assert.DoesNotMatch(ExternalScript(), page);
        Assert.Contains("depth = 1", page, StringComparison.Ordinal);                       // hover text

        string dom = ExternalTools.RenderOffline(report, Path.ChangeExtension(report, ".png"), height: 700);
        Assert.Contains("class=\"main-svg\"", dom, StringComparison.Ordinal);
        // A 2-layer model: full, static (depths 1 and 2) and the Pareto front: three scatter traces.
        Assert.Equal(3, Regex.Count(dom, "class=\"trace scatter[ \"]"));
    }

    [GeneratedRegex("<script[^>]+src=\"https?:", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalScript();
}
