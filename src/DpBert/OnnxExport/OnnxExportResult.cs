namespace DpBert.OnnxExport;

/// <summary>What an export wrote.</summary>
/// <param name="Path">The ONNX file.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Opset">The opset of the default domain.</param>
/// <param name="Operators">Every operator type the graph uses, sorted.</param>
/// <param name="Inputs">Graph input names.</param>
/// <param name="Outputs">Graph output names.</param>
/// <param name="KnobInput">The method's knob input (<c>theta</c>, <c>entropy</c>, <c>patience</c>); null for the full model.</param>
/// <param name="KnobDefault">The knob's exported default, as written in the model's metadata; null for the full model.</param>
public sealed record OnnxExportResult(string Path, long Bytes, int Opset, IReadOnlyList<string> Operators, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    string? KnobInput, string? KnobDefault);
