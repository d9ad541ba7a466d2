using DpBert.Bert;
using DpBert.Checkpoints.Onnx;
using DpBert.Tests;
using Google.Protobuf;
using Onnx;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// <c>model.onnx</c>, a <c>BertModel</c> exported to ONNX, through <see cref="OnnxBertImporter.Read(string)"/> (the
/// protobuf parse, the weight map through the graph, the configuration read off it, the layout check, the copy), then
/// the import used as <c>ImportToFolder</c> uses it: the configuration written and parsed again, every weight read.
/// Typed error: <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class OnnxModelTarget : FuzzTarget
{
    public override string Name => "onnx-model";

    public override string Description => "model.onnx, a BertModel export: OnnxBertImporter.Read, config written back, every weight read";

    protected override string FileName => "model.onnx";

    protected override void Read(ReadOnlySpan<byte> input, string path)
    {
        var import = OnnxBertImporter.Read(path);
        BertConfig.Parse(import.Config.ToJson(), path + " (config written back)");
        foreach (var (name, _) in BertParameterLayout.Encoder(import.Config, prefix: "", withPooler: true))
            _ = import.Parameters.Span(name).IndexOf(float.NaN); // every weight present and readable
    }

    protected override bool IsTypedError(Exception error) => error is InvalidDataException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // The two NuGet-served exports (old-style node names with a pooler; scoped names without), every size shrunk.
        yield return new("minilm-shrunk", ShrunkOnnxExport.Build(NuGetModelFiles.Files(NuGetModelFiles.MiniLm).Onnx));
        yield return new("arctic-shrunk", ShrunkOnnxExport.Build(NuGetModelFiles.Files(NuGetModelFiles.ArcticXs).Onnx));
        // MiniLM's with every float initializer in the typed float_data field instead of raw_data (both are ONNX).
        var typed = ModelProto.Parser.ParseFrom(ShrunkOnnxExport.Build(NuGetModelFiles.Files(NuGetModelFiles.MiniLm).Onnx));
        foreach (var t in typed.Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float))
        {
            t.FloatData.AddRange(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray());
            t.RawData = ByteString.Empty;
        }
        yield return new("minilm-shrunk-float-data", typed.ToByteArray());
    }
}
