using DpBert.Bert;
using System.Text.Json.Nodes;

namespace DpBert.Notebooks.Tests;

/// <summary>The runner on small notebooks written by the tests.</summary>
[Collection(NotebookCollection.Name)]
public class NotebookRunnerTests
{
    private static string Write(params string[] cells)
    {
        var notebook = new JsonObject
        {
            ["nbformat"] = 4, ["nbformat_minor"] = 5, ["metadata"] = new JsonObject(),
            ["cells"] = new JsonArray(cells.Select(source => (JsonNode)new JsonObject
            {
                ["cell_type"] = "code", ["metadata"] = new JsonObject(), ["source"] = source, ["outputs"] = new JsonArray(), ["execution_count"] = null,
            }).Prepend(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = "# test" }).ToArray()),
        };
        string path = Path.Combine(Path.GetTempPath(), $"dpbert-runner-{Guid.NewGuid():N}.ipynb");
        File.WriteAllText(path, notebook.ToJsonString());
        return path;
    }

    private static Task<NotebookRun> Run(string path) => new NotebookRunner().RunAsync(path, new Dictionary<string, string?>());

    private static JsonArray Outputs(NotebookRun run, int cell) => (JsonArray)run.Notebook.Cells[cell]["outputs"]!;

    [Fact]
    public async Task State_carries_from_cell_to_cell_and_the_last_value_is_the_result()
    {
        var run = await Run(Write("int x = 20;", "x * 2 + 2"));
        var result = Outputs(run, 2).Single()!;
        Assert.Equal("execute_result", result["output_type"]!.GetValue<string>());
        Assert.Equal(2, result["execution_count"]!.GetValue<int>());
        Assert.Equal("42", result["data"]!["text/plain"]![0]!.GetValue<string>());
        Assert.Empty(Outputs(run, 1));
    }

    [Fact]
    public async Task Display_then_update_replaces_the_shown_value_and_console_output_is_a_stream()
    {
        var run = await Run(Write("var shown = display(\"first\");\nConsole.WriteLine(\"hello\");\nshown.Update(\"second\");"));
        var outputs = Outputs(run, 1);
        Assert.Equal(["display_data", "stream"], outputs.Select(o => o!["output_type"]!.GetValue<string>()));
        Assert.Equal("second", outputs[0]!["data"]!["text/plain"]![0]!.GetValue<string>());
        Assert.Equal("hello\n", outputs[1]!["text"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task The_local_package_loads_and_its_views_render_as_html()
    {
        var run = await Run(Write("#r \"nuget: DpBert.Interactive\"\nvar path = new InputPath(\"t\", new[] { \"[CLS]\" }, \"yes\", 0.9, LayerPlan.Parse(\"101\"), new double?[3]);", "path.ToPathView()"));
        string html = string.Concat(((JsonArray)Outputs(run, 2).Single()!["data"]!["text/html"]!).Select(l => l!.GetValue<string>()));
        Assert.Contains("data-dpbert=\"layer-skip-path\"", html, StringComparison.Ordinal); // namespaces came from extension.dib
    }

    [Fact]
    public async Task A_failing_cell_is_named_by_notebook_and_index()
    {
        string path = Write("int y = 1;", "throw new InvalidOperationException(\"boom\");", "y");
        var e = await Assert.ThrowsAsync<NotebookCellException>(() => Run(path));
        Assert.Contains($"{Path.GetFileName(path)}, cell 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("boom", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_compile_error_is_reported_with_the_diagnostic()
    {
        var e = await Assert.ThrowsAsync<NotebookCellException>(() => Run(Write("int z = \"text\";")));
        Assert.Contains("cell 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("CS0029", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_nuget_packages_are_refused_because_notebooks_run_offline()
    {
        var e = await Assert.ThrowsAsync<NotebookCellException>(() => Run(Write("#r \"nuget: Plotly.NET, 4.0.0\"")));
        Assert.Contains("cannot be resolved offline", e.Message, StringComparison.Ordinal);
    }
}
