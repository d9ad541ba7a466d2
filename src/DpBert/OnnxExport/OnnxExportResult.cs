namespace DpBert.OnnxExport;

/// <summary>What an export wrote.</summary>
/// <param name="Path">The ONNX file.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Opset">The opset of the default domain.</param>
/// <param name="Operators">Every operator type the graph uses, sorted.</param>
/// <param name="Inputs">Graph input names.</param>
/// <param name="Outputs">Graph output names.</param>
public sealed record OnnxExportResult(string Path, long Bytes, int Opset, IReadOnlyList<string> Operators, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);
