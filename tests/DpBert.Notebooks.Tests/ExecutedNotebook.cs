using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DpBert.Notebooks.Tests;

/// <summary>An output of an executed notebook, with the views its HTML carries.</summary>
internal sealed record NotebookOutput(int CellIndex, string OutputType, IReadOnlyList<string> MimeTypes, string Html, string Text, IReadOnlyList<string> Views);

/// <summary>
/// What Jupyter wrote back after running a notebook in the .NET kernel, read as nbformat JSON: the outputs of every code
/// cell, the views named in their HTML (<c>data-dpbert="..."</c>, and <c>dataframe</c> for Microsoft.Data.Analysis'
/// table), errors, and live views that never left their first state.
/// </summary>
internal sealed partial class ExecutedNotebook
{
    private ExecutedNotebook(NotebookDocument document, IReadOnlyList<NotebookOutput> outputs)
    {
        Document = document;
        Outputs = outputs;
    }

    public NotebookDocument Document { get; }

    public IReadOnlyList<NotebookOutput> Outputs { get; }

    public static ExecutedNotebook Load(string path)
    {
        var document = NotebookDocument.Load(path);
        var outputs = new List<NotebookOutput>();
        var cells = document.Cells;
        for (int c = 0; c < cells.Count; c++)
        {
            if (cells[c]["outputs"] is not JsonArray items) continue;
            foreach (var item in items.OfType<JsonObject>())
            {
                var data = item["data"] as JsonObject;
                string html = data?["text/html"] is { } h ? Join(h) : "";
                string text = item["text"] is { } t ? Join(t) : data?["text/plain"] is { } p ? Join(p) : "";
                if (item["output_type"]?.GetValue<string>() == "error")
                    text = $"{item["ename"]}: {item["evalue"]}\n{Join(item["traceback"] ?? new JsonArray())}";
                var views = ViewAttribute().Matches(html).Select(m => m.Groups[1].Value).ToList();
                if (DataFrameTable().IsMatch(html)) views.Add("dataframe");
                outputs.Add(new NotebookOutput(c, item["output_type"]!.GetValue<string>(), data?.Select(kv => kv.Key).ToList() ?? [], html, text, views.Distinct().ToList()));
            }
        }
        return new ExecutedNotebook(document, outputs);
    }

    /// <summary>Error outputs and anything written to stderr, each with its cell's source.</summary>
    public IEnumerable<string> Problems() => Outputs
        .Where(o => o.OutputType == "error" || (o.OutputType == "stream" && IsStderr(o)))
        .Select(o => $"cell {o.CellIndex} ({o.OutputType}): {o.Text}\n--- cell source ---\n{NotebookDocument.SourceOf(Document.Cells[o.CellIndex])}");

    /// <summary>Live views (training-status, sweep-status) whose saved state is not <c>finished</c>.</summary>
    public IEnumerable<string> UnfinishedLiveViews() => Outputs
        .SelectMany(o => LiveState().Matches(o.Html).Select(m => (o.CellIndex, View: m.Groups[1].Value, State: m.Groups[2].Value)))
        .Where(x => x.State != "finished")
        .Select(x => $"cell {x.CellIndex}: {x.View} left in state \"{x.State}\"");

    /// <summary>Per view, the kinds of output that carry it: <c>display_data [text/html, text/plain]</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> OutputTypesByView() => Outputs
        .SelectMany(o => o.Views.Select(v => (View: v, Kind: $"{o.OutputType} [{string.Join(", ", o.MimeTypes)}]")))
        .GroupBy(x => x.View).OrderBy(g => g.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(x => x.Kind).Distinct().ToList());

    /// <summary>The output the kernel puts in the first cell: a script that loads require.js from a CDN and probes the kernel's HTTP port.</summary>
    public static bool IsKernelBootScript(JsonObject output) =>
        output["data"]?["text/html"] is { } html && Join(html) is var text && text.Contains("probeAddresses", StringComparison.Ordinal)
        && text.Contains("dotnet-interactive-this-cell", StringComparison.Ordinal);

    private bool IsStderr(NotebookOutput output) =>
        Document.Cells[output.CellIndex]["outputs"] is JsonArray items
        && items.OfType<JsonObject>().Any(i => i["output_type"]?.GetValue<string>() == "stream" && i["name"]?.GetValue<string>() == "stderr" && Join(i["text"]!) == output.Text);

    private static string Join(JsonNode node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue value => value.GetValue<string>(),
        _ => "",
    };

    [GeneratedRegex("data-dpbert=\"([a-z0-9-]+)\"")]
    private static partial Regex ViewAttribute();

    [GeneratedRegex("<table id=\"table_[0-9]+\">")]
    private static partial Regex DataFrameTable();

    [GeneratedRegex("data-dpbert=\"(training-status|sweep-status)\".*?data-state=\"([a-z]+)\"", RegexOptions.Singleline)]
    private static partial Regex LiveState();
}
