namespace DpBert.OnnxExport;

/// <summary>
/// The additive attention mask, as Hugging Face and the core engine build it: <c>(1 - mask) * float.MinValue</c>
/// (0 for real keys, <see cref="float.MinValue"/> for padding), shaped (B, 1, 1, S) to broadcast over heads and queries.
/// </summary>
internal static class AttentionMaskGraph
{
    public static string Add(OnnxGraphBuilder g, string attentionMask)
    {
        const string scope = "/attention_mask";
        string mask = g.Node(scope, "Cast", [attentionMask], OnnxGraphBuilder.Attribute("to", (long)Onnx.TensorProto.Types.DataType.Float));
        string padding = g.Node(scope, "Sub", [g.Scalar(1f), mask]);
        string additive = g.Node(scope, "Mul", [padding, g.Scalar(float.MinValue)]);
        return g.Node(scope, "Unsqueeze", [additive, g.Int64s(1, 2)]);                                               // (B, 1, 1, S)
    }
}
