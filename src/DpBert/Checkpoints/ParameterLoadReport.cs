namespace DpBert.Checkpoints;

/// <summary>What a successful load did, so the caller can initialise what is missing and say so.</summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="Loaded">Parameter keys filled from the checkpoint, in the model's order.</param>
/// <param name="Missing">Parameter keys the checkpoint lacks and the options allowed to be missing; their values were left untouched.</param>
/// <param name="Ignored">Checkpoint keys skipped by the ignore rules (no such parameter in the model).</param>
/// <param name="Renamed">Checkpoint keys loaded under another spelling (legacy <c>gamma</c>/<c>beta</c>, <c>bert.</c> prefix), mapped to the parameter key.</param>
public sealed record ParameterLoadReport(
    string Path,
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Ignored,
    IReadOnlyDictionary<string, string> Renamed)
{
    /// <summary>Parameters whose checkpoint tensor had another shape and was skipped, as <c>key: [file shape] in the checkpoint, [model shape] in the model</c>.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; init; } = [];

    /// <summary>One line for a log, e.g. <c>model.safetensors: loaded 199 tensors; missing (left as initialised): classifier.weight, classifier.bias</c>.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder($"{Path}: loaded {Loaded.Count} tensors");
        if (Renamed.Count > 0) text.Append($" ({Renamed.Count} under legacy or unprefixed keys)");
        if (ShapeMismatches.Count > 0) text.Append($"; not loaded, other shape: {string.Join("; ", ShapeMismatches)}");
        if (Missing.Count > 0) text.Append($"; missing (left as initialised): {string.Join(", ", Missing)}");
        if (Ignored.Count > 0) text.Append($"; ignored {Ignored.Count}: {string.Join(", ", Ignored)}");
        return text.ToString();
    }
}
