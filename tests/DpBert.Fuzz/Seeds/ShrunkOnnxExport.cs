using Google.Protobuf;
using Onnx;

namespace DpBert.Fuzz;

/// <summary>
/// A real <c>BertModel</c> export (MiniLM's or Arctic's graph, as PyTorch wrote it: node names, anonymous Linear
/// weights, shape constants) with every size shrunk so that AFL can work on it: hidden 384 to 8 (12 heads of 32 to 2 of
/// 4), intermediate 1536 to 16, vocabulary 30522 to 12, positions 512 to 8. Weights are filled with small deterministic
/// values; the graph is otherwise untouched, so the importer takes it as it takes the original.
/// </summary>
internal static class ShrunkOnnxExport
{
    private static readonly Dictionary<long, long> Dims = new() { [384] = 8, [1536] = 16, [30522] = 12, [512] = 8 };
    private static readonly Dictionary<long, long> ShapeValues = new() { [12] = 2, [32] = 4, [384] = 8 };

    /// <summary>The shrunk copy of <paramref name="onnxPath"/>'s model.</summary>
    public static byte[] Build(string onnxPath)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));
        foreach (var t in model.Graph.Initializer) Shrink(t);
        foreach (var node in model.Graph.Node.Where(n => n.OpType == "Constant"))
            foreach (var a in node.Attribute.Where(a => a.T is not null)) Shrink(a.T);
        return model.ToByteArray();
    }

    private static void Shrink(TensorProto t)
    {
        if (t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count > 0)
        {
            for (int i = 0; i < t.Dims.Count; i++) t.Dims[i] = Dims.GetValueOrDefault(t.Dims[i], t.Dims[i]);
            long count = t.Dims.Aggregate(1L, (a, d) => a * d);
            var values = new float[count];
            for (int i = 0; i < values.Length; i++) values[i] = ((i * 7 + t.Name.Length) % 11 - 5) * 0.01f;
            t.FloatData.Clear();
            t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else if (t.DataType == (int)TensorProto.Types.DataType.Int64 && t.Dims.Count == 1 && t.Dims[0] <= 4 && t.RawData.Length == t.Dims[0] * 8)
        {
            // Shape constants such as (batch, seq, 12, 32) and (batch, seq, 384).
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();
            t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.Select(v => ShapeValues.GetValueOrDefault(v, v)).ToArray().AsSpan()));
        }
        else if (t.DataType == (int)TensorProto.Types.DataType.Int64 && t.Dims.Count == 2 && t.Dims[1] == 512)
        {
            // Buffers over positions: position_ids (0..511) and token_type_ids (zeros).
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span)[..8].ToArray();
            t.Dims[1] = 8;
            t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }
}
