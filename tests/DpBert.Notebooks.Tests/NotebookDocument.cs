using System.Text.Json;
using System.Text.Json.Nodes;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// An .ipynb file (nbformat 4) as a JSON tree, so that everything the runner does not touch (metadata, markdown,
/// attachments) is written back exactly as read.
/// </summary>
internal sealed class NotebookDocument
{
    private readonly JsonObject _root;

    private NotebookDocument(string path, JsonObject root)
    {
        Path = path;
        _root = root;
    }

    /// <summary>Where the notebook was read from.</summary>
    public string Path { get; }

    /// <summary>File name, e.g. <c>01-quickstart.ipynb</c>.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>Reads and checks the basic shape of a notebook.</summary>
    public static NotebookDocument Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        if (root["nbformat"]?.GetValue<int>() != 4) throw new InvalidDataException($"{path}: nbformat 4 expected");
        if (root["cells"] is not JsonArray) throw new InvalidDataException($"{path}: no cells array");
        return new NotebookDocument(path, root);
    }

    /// <summary>The cells in order.</summary>
    public IReadOnlyList<JsonObject> Cells => ((JsonArray)_root["cells"]!).Select(c => (JsonObject)c!).ToList();

    /// <summary><c>data-dpbert</c> names the notebook's rendered page must contain (notebook metadata <c>dpbert.expects</c>).</summary>
    public IReadOnlyList<string> ExpectedViews =>
        (_root["metadata"]?["dpbert"]?["expects"] as JsonArray)?.Select(v => v!.GetValue<string>()).ToList() ?? [];

    /// <summary>A cell's source as one string (nbformat allows a string or a list of lines).</summary>
    public static string SourceOf(JsonObject cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue text => text.GetValue<string>(),
        _ => "",
    };

    /// <summary>Replaces a code cell's outputs and execution count.</summary>
    public static void SetOutputs(JsonObject cell, int executionCount, IEnumerable<JsonObject> outputs)
    {
        cell["execution_count"] = executionCount;
        cell["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o.DeepClone()).ToArray());
    }

    /// <summary>Writes the notebook (one-space indentation and a final newline, as Jupyter writes it).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var options = new JsonSerializerOptions { WriteIndented = true, IndentSize = 1, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(path, _root.ToJsonString(options) + "\n");
    }
}
