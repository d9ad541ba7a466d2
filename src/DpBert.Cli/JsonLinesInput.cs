using System.Text.Json;
using DpBert.Inference;

namespace DpBert.Cli;

/// <summary>
/// Reads inputs from a JSON Lines file: one <c>{"text": "...", "text_pair": "..."}</c> object per line
/// (<c>text_pair</c> optional). Blank lines are skipped; anything else that is not such an object is an
/// error naming the file and line.
/// </summary>
internal static class JsonLinesInput
{
    public static List<TextInput> Read(string path)
    {
        if (!File.Exists(path)) throw new CliInputException($"input file not found: {path}");
        var inputs = new List<TextInput>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            inputs.Add(Parse(line, path, lineNumber));
        }
        if (inputs.Count == 0) throw new CliInputException($"{path}: no inputs (expected one JSON object such as {{\"text\": \"...\"}} per line)");
        return inputs;
    }

    private static TextInput Parse(string line, string path, int lineNumber)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new CliInputException($"{path}:{lineNumber}: not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CliInputException($"{path}:{lineNumber}: expected a JSON object with \"text\", got {root.ValueKind}");
            string? text = null, pair = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "text": text = StringValue(property, path, lineNumber); break;
                    case "text_pair": pair = property.Value.ValueKind == JsonValueKind.Null ? null : StringValue(property, path, lineNumber); break;
                    default: throw new CliInputException($"{path}:{lineNumber}: unknown key \"{property.Name}\" (expected \"text\" and optional \"text_pair\")");
                }
            }
            if (text is null) throw new CliInputException($"{path}:{lineNumber}: missing key \"text\"");
            return new TextInput(text, pair);
        }
    }

    private static string StringValue(JsonProperty property, string path, int lineNumber)
    {
        if (property.Value.ValueKind != JsonValueKind.String)
            throw new CliInputException($"{path}:{lineNumber}: \"{property.Name}\" must be a string, got {property.Value.ValueKind}");
        try { return property.Value.GetString()!; }
        catch (InvalidOperationException e)
        {
            // A lone surrogate escape (e.g. "\ud800") is valid JSON syntax but not a UTF-16 string.
            throw new CliInputException($"{path}:{lineNumber}: \"{property.Name}\" is not valid UTF-16 text ({e.Message})");
        }
    }
}
