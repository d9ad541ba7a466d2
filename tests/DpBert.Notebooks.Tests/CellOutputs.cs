using System.Text.Json.Nodes;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// The outputs of one code cell as nbformat records, in the order they happened: stream text (merged while
/// consecutive), display data (which a display handle can replace in place) and the cell's result.
/// </summary>
internal sealed class CellOutputs
{
    private readonly List<JsonObject> _outputs = [];

    /// <summary>The outputs so far.</summary>
    public IReadOnlyList<JsonObject> Items => _outputs;

    /// <summary>Appends Console text to the last output when it is the same stream, else starts a stream output.</summary>
    public void Stream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (_outputs)
        {
            if (_outputs.Count > 0 && _outputs[^1]["output_type"]!.GetValue<string>() == "stream" && _outputs[^1]["name"]!.GetValue<string>() == name)
            {
                string previous = JoinLines(_outputs[^1]["text"]!);
                _outputs[^1]["text"] = Lines(previous + text);
                return;
            }
            _outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = Lines(text) });
        }
    }

    /// <summary>Adds a display_data output; returns its index for later updates.</summary>
    public int Display(IReadOnlyDictionary<string, string> bundle)
    {
        lock (_outputs)
        {
            _outputs.Add(new JsonObject { ["output_type"] = "display_data", ["data"] = Data(bundle), ["metadata"] = new JsonObject() });
            return _outputs.Count - 1;
        }
    }

    /// <summary>Replaces the data of the display output at <paramref name="index"/> (what <c>Update</c> does in a notebook).</summary>
    public void Update(int index, IReadOnlyDictionary<string, string> bundle)
    {
        lock (_outputs) _outputs[index]["data"] = Data(bundle);
    }

    /// <summary>Adds the cell's value as an execute_result.</summary>
    public void Result(int executionCount, IReadOnlyDictionary<string, string> bundle)
    {
        lock (_outputs)
            _outputs.Add(new JsonObject { ["output_type"] = "execute_result", ["execution_count"] = executionCount, ["data"] = Data(bundle), ["metadata"] = new JsonObject() });
    }

    private static JsonObject Data(IReadOnlyDictionary<string, string> bundle)
    {
        var data = new JsonObject();
        foreach (var (mime, text) in bundle) data[mime] = Lines(text);
        return data;
    }

    /// <summary>Text as Jupyter stores it: a list of lines, each keeping its newline.</summary>
    public static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            lines.Add(text[start..(i + 1)]);
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    private static string JoinLines(JsonNode node) => node is JsonArray a ? string.Concat(a.Select(l => l!.GetValue<string>())) : node.GetValue<string>();
}
