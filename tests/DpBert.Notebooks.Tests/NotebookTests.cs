using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// Runs every notebooks/*.ipynb in Jupyter with the real .NET kernel (`jupyter nbconvert --execute`, kernel
/// <c>.net-csharp</c>), loading the packages just packed into notebooks/packages, then checks the executed copy: no error
/// output, every view named in the notebook's metadata in its HTML outputs, no live view left before its final state,
/// valid nbformat, converts to HTML, and in headless Chromium with the network off every interactive chart draws.
/// CI configuration by default (DPBERT_QUICK=1: tiny subsets); with DPBERT_NOTEBOOKS_WRITE_BACK=1 the full configuration
/// runs and the executed notebooks are written back into notebooks/ (without the kernel's start-up script).
/// </summary>
[Collection(NotebookCollection.Name)]
public partial class NotebookTests(LocalFeed feed, ITestOutputHelper output)
{
    private static bool WriteBack => Environment.GetEnvironmentVariable("DPBERT_NOTEBOOKS_WRITE_BACK") == "1";

    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(RepositoryPaths.Notebooks, "*.ipynb").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void There_are_notebooks_to_run() => Assert.NotEmpty(Notebooks());

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_runs_in_the_dotnet_kernel_and_renders_its_views(string name)
    {
        ExternalTools.RequireDotnetKernel();
        string artifacts = RepositoryPaths.Artifacts;
        Directory.CreateDirectory(artifacts);
        string executed = Path.Combine(artifacts, name);
        var environment = new Dictionary<string, string?>
        {
            ["GLUE_DIR"] = RepositoryPaths.GlueDirectory(),
            ["DPBERT_QUICK"] = WriteBack ? null : "1",
            // Where the notebooks write their models: DPBERT_RUNS when set, else a folder of the artifacts (CI); the full
            // run keeps the notebooks' own ../runs so that the paths they print are the ones a reader gets.
            ["DPBERT_RUNS"] = Environment.GetEnvironmentVariable("DPBERT_RUNS") ?? (WriteBack ? null : Path.Combine(artifacts, "runs")),
        };
        var clock = Stopwatch.StartNew();
        ExternalTools.Execute(Path.Combine(RepositoryPaths.Notebooks, name), executed, environment,
            cellTimeout: WriteBack ? TimeSpan.FromHours(2) : TimeSpan.FromMinutes(10), timeout: WriteBack ? TimeSpan.FromHours(6) : TimeSpan.FromMinutes(15));
        string configuration = WriteBack ? "full" : "CI (DPBERT_QUICK=1)";
        output.WriteLine($"{name}: {clock.Elapsed.TotalSeconds:F1} s in Jupyter with the .NET kernel, {configuration} configuration, DpBert.Interactive {feed.Version}");
        File.AppendAllText(Path.Combine(artifacts, "timings.txt"), $"{DateTime.UtcNow:u} {name} {configuration}: {clock.Elapsed.TotalSeconds:F1} s\n");

        var notebook = ExecutedNotebook.Load(executed);
        var problems = notebook.Problems().ToList();
        Assert.True(problems.Count == 0, $"{name}: {problems.Count} error output(s) in the real kernel:\n{string.Join("\n\n", problems)}");
        var views = notebook.OutputTypesByView();
        foreach (var (view, kinds) in views) output.WriteLine($"  {view}: {string.Join("; ", kinds)}");
        File.WriteAllLines(Path.ChangeExtension(executed, ".views.txt"), views.Select(v => $"{v.Key}: {string.Join("; ", v.Value)}"));
        var expected = notebook.Document.ExpectedViews;
        Assert.NotEmpty(expected);
        foreach (string view in expected)
            Assert.True(views.ContainsKey(view), $"{name}: no output of the executed notebook carries the view \"{view}\" (present: {string.Join(", ", views.Keys)})");
        var unfinished = notebook.UnfinishedLiveViews().ToList();
        Assert.True(unfinished.Count == 0, $"{name}: live views not in their final state in the saved notebook:\n{string.Join("\n", unfinished)}");

        ExternalTools.ValidateNotebook(executed);
        string html = ExternalTools.ConvertToHtml(executed, artifacts);
        string png = Path.ChangeExtension(html, ".png");
        string dom = ExternalTools.RenderOffline(html, png, height: WriteBack ? 30000 : 20000);
        Assert.True(new FileInfo(png).Length > 20_000, $"{png} is suspiciously small ({new FileInfo(png).Length} bytes): a blank page?");
        var charts = notebook.Outputs.SelectMany(o => o.Views).Count(v => v.StartsWith("plotly-", StringComparison.Ordinal));
        var drawn = InteractiveChartFrames.Drawn(dom);
        Assert.Equal(charts, drawn.Count);
        Assert.All(drawn, frame => Assert.True(frame.Traces > 0, $"{name}: the interactive chart {frame.View} ({frame.Id}) drew no traces offline"));
        output.WriteLine($"  {drawn.Count} interactive chart(s) drawn offline: {string.Join(", ", drawn.Select(f => $"{f.View} ({f.Traces} traces)"))}");
        output.WriteLine($"  executed copy {executed}, page {html}, screenshot {png}");

        if (WriteBack) SaveWithoutKernelBootScript(executed, Path.Combine(RepositoryPaths.Notebooks, name));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_metadata_is_what_the_dotnet_kernel_expects(string name)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Notebooks, name)))!;
        Assert.Equal(".net-csharp", root["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal("C#", root["metadata"]!["kernelspec"]!["language"]!.GetValue<string>());
        Assert.Equal("csharp", root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>());
        var code = ((JsonArray)root["cells"]!).Where(c => c!["cell_type"]!.GetValue<string>() == "code").ToList();
        Assert.All(code, c =>
        {
            Assert.Equal("csharp", c!["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
            Assert.Equal("csharp", c["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        });
        string all = string.Concat(code.Select(c => NotebookDocument.SourceOf((JsonObject)c!)));
        Assert.Contains("#r \"nuget: DpBert.Interactive, 0.1.0-*\"", all, StringComparison.Ordinal);
        Assert.DoesNotContain(" display(", all, StringComparison.Ordinal); // its Update() never reaches Jupyter; LiveOutput does
    }

    /// <summary>The committed copy keeps every output but the kernel's start-up script (it loads require.js from a CDN and probes a local port).</summary>
    private static void SaveWithoutKernelBootScript(string executed, string destination)
    {
        var notebook = NotebookDocument.Load(executed);
        foreach (var cell in notebook.Cells)
            if (cell["outputs"] is JsonArray outputs)
                foreach (var boot in outputs.OfType<JsonObject>().Where(ExecutedNotebook.IsKernelBootScript).ToList()) outputs.Remove(boot);
        notebook.Save(destination);
    }
}

/// <summary>The interactive chart frames of a page as the browser left them after running its scripts.</summary>
internal static partial class InteractiveChartFrames
{
    public sealed record Frame(string View, string Id, int Traces);

    /// <summary>Every frame with the number of traces Plotly drew in it (0 when it drew nothing or only the no-script note is left).</summary>
    public static IReadOnlyList<Frame> Drawn(string dom)
    {
        var starts = FrameStart().Matches(dom);
        var frames = new List<Frame>();
        for (int i = 0; i < starts.Count; i++)
        {
            int end = i + 1 < starts.Count ? starts[i + 1].Index : dom.Length;
            string body = dom[starts[i].Index..end];
            bool drawn = body.Contains("class=\"main-svg\"", StringComparison.Ordinal) && !body.Contains("<div class=\"dpbert-script-note\"", StringComparison.Ordinal);
            frames.Add(new Frame(starts[i].Groups[1].Value, starts[i].Groups[2].Value, drawn ? Trace().Matches(body).Count : 0));
        }
        return frames;
    }

    [GeneratedRegex("<div class=\"dpbert dpbert-plotly-[a-z-]+\" data-dpbert=\"(plotly-[a-z-]+)\" id=\"(dpbert-[0-9a-f]+)\">")]
    private static partial Regex FrameStart();

    // Plotly draws each scatter trace as <g class="trace scatter ...">, each heatmap as <g class="hm">.
    [GeneratedRegex("class=\"(trace scatter|hm)[ \"]")]
    private static partial Regex Trace();
}
