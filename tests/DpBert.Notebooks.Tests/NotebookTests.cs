using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// Runs every notebooks/*.ipynb top to bottom, then validates, converts and screenshots the executed copy.
/// CI configuration by default (DPBERT_QUICK=1: tiny subsets); with DPBERT_NOTEBOOKS_WRITE_BACK=1 the full
/// configuration runs and the outputs are written back into notebooks/*.ipynb.
/// </summary>
[Collection(NotebookCollection.Name)]
public class NotebookTests(ITestOutputHelper output)
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
    public async Task Notebook_runs_top_to_bottom_and_renders_its_views(string name)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GLUE_DIR"] = RepositoryPaths.GlueDirectory(),
            ["DPBERT_QUICK"] = WriteBack ? null : "1",
        };
        var run = await new NotebookRunner().RunAsync(Path.Combine(RepositoryPaths.Notebooks, name), environment);
        string configuration = WriteBack ? "full" : "CI (DPBERT_QUICK=1)";
        output.WriteLine($"{name}: {run.Elapsed.TotalSeconds:F1} s in the {configuration} configuration");
        foreach (var cell in run.Cells) output.WriteLine($"  cell {cell.CellIndex}: {cell.Elapsed.TotalSeconds:F1} s");

        Directory.CreateDirectory(RepositoryPaths.Artifacts);
        string executed = Path.Combine(RepositoryPaths.Artifacts, name);
        run.Notebook.Save(executed);
        File.AppendAllText(Path.Combine(RepositoryPaths.Artifacts, "timings.txt"), $"{DateTime.UtcNow:u} {name} {configuration}: {run.Elapsed.TotalSeconds:F1} s\n");

        ExternalTools.ValidateNotebook(executed);
        string html = ExternalTools.ConvertToHtml(executed, RepositoryPaths.Artifacts);
        string page = File.ReadAllText(html);
        var expected = run.Notebook.ExpectedViews;
        Assert.NotEmpty(expected);
        foreach (string view in expected)
            Assert.True(page.Contains($"data-dpbert=\"{view}\"", StringComparison.Ordinal), $"{name}: the rendered page has no data-dpbert=\"{view}\" element");
        Assert.DoesNotContain("<script>alert", page, StringComparison.Ordinal);

        string png = Path.ChangeExtension(html, ".png");
        ExternalTools.Screenshot(html, png);
        Assert.True(new FileInfo(png).Length > 20_000, $"{png} is suspiciously small ({new FileInfo(png).Length} bytes): a blank page?");
        output.WriteLine($"  executed copy {executed}, page {html}, screenshot {png}");

        if (WriteBack) run.Notebook.Save(Path.Combine(RepositoryPaths.Notebooks, name));
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
        Assert.Contains("#r \"nuget: DpBert.Interactive", all, StringComparison.Ordinal);
    }
}

/// <summary>Notebook runs change the process's current directory, environment and Console: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "notebooks";
}
