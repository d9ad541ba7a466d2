using DpBert.Bert;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>
/// <see cref="BertSelfAttention"/> as ONNX: separate Q, K, V projections, per head <c>softmax(Q K^T / sqrt(d) + mask) V</c>,
/// heads concatenated back to (B, S, H). Reshapes copy the batch and sequence sizes from their input (<c>0</c> in the
/// target shape), so the block also runs on an empty sub-batch.
/// </summary>
internal static class SelfAttentionGraph
{
    /// <summary>The attention context (B, S, H) of <paramref name="x"/> (B, S, H) under <paramref name="additiveMask"/> (B, 1, 1, S).</summary>
    public static string Add(OnnxGraphBuilder g, string scope, string x, string additiveMask, ParameterSet p, BertConfig config, string layerPrefix)
    {
        int heads = config.NumAttentionHeads, headSize = config.HeadSize;
        string Heads(string name, long[] perm)
        {
            string projected = GraphPrimitives.Linear(g, $"{scope}/{name}", x, p, $"{layerPrefix}attention.self.{name}");
            string split = g.Node($"{scope}/{name}", "Reshape", [projected, g.Int64s(0, 0, heads, headSize)]);          // (B, S, NH, d)
            return g.Node($"{scope}/{name}", "Transpose", [split], Attribute("perm", perm));
        }
        string q = Heads("query", [0, 2, 1, 3]);                                                                         // (B, NH, S, d)
        string kT = Heads("key", [0, 2, 3, 1]);                                                                          // (B, NH, d, S)
        string v = Heads("value", [0, 2, 1, 3]);                                                                         // (B, NH, S, d)
        string scores = g.Node(scope, "Mul", [g.Node(scope, "MatMul", [q, kT]), g.Scalar(1f / MathF.Sqrt(headSize))]); // (B, NH, S, S)
        string probabilities = g.Node(scope, "Softmax", [g.Node(scope, "Add", [scores, additiveMask])], Attribute("axis", -1L));
        string context = g.Node(scope, "MatMul", [probabilities, v]);                                                    // (B, NH, S, d)
        string merged = g.Node(scope, "Transpose", [context], Attribute("perm", new long[] { 0, 2, 1, 3 }));             // (B, S, NH, d)
        return g.Node(scope, "Reshape", [merged, g.Int64s(0, 0, config.HiddenSize)]);                                    // (B, S, H)
    }
}
