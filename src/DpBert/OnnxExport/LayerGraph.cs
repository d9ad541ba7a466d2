using DpBert.Bert;

namespace DpBert.OnnxExport;

/// <summary>
/// <see cref="BertLayer"/> as ONNX, post-LN: <c>x1 = LN(x + Attention(x) Wo + bo)</c>, <c>y = LN(x1 + GELU(x1 Wi + bi) Wo2 + bo2)</c>.
/// </summary>
internal static class LayerGraph
{
    /// <summary>Layer <paramref name="index"/> on <paramref name="x"/> (B, S, H); returns its output (B, S, H).</summary>
    public static string Add(OnnxGraphBuilder g, string x, string additiveMask, ParameterSet p, BertConfig config, int index)
    {
        string scope = $"/encoder/layer.{index}", prefix = $"bert.encoder.layer.{index}.";
        string context = SelfAttentionGraph.Add(g, scope + "/attention/self", x, additiveMask, p, config, prefix);
        string attention = GraphPrimitives.Linear(g, scope + "/attention/output/dense", context, p, prefix + "attention.output.dense");
        string x1 = GraphPrimitives.LayerNorm(g, scope + "/attention/output/LayerNorm", g.Node(scope + "/attention/output", "Add", [attention, x]),
            p, prefix + "attention.output.LayerNorm", config.LayerNormEps);
        string intermediate = GraphPrimitives.Linear(g, scope + "/intermediate/dense", x1, p, prefix + "intermediate.dense");
        string activated = GraphPrimitives.Gelu(g, scope + "/intermediate/gelu", intermediate);
        string output = GraphPrimitives.Linear(g, scope + "/output/dense", activated, p, prefix + "output.dense");
        return GraphPrimitives.LayerNorm(g, scope + "/output/LayerNorm", g.Node(scope + "/output", "Add", [output, x1]),
            p, prefix + "output.LayerNorm", config.LayerNormEps);
    }
}
