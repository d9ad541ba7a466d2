using DpBert.Bert;
using DpBert.Planning;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>
/// <see cref="DepthHeads"/> as ONNX: each row is classified by the head of its plan's length m = k + (planned layers run).
/// The heads are stacked into one weight tensor (L - k + 1, num_labels, H) and one bias tensor (L - k + 1, num_labels);
/// <c>Gather</c> picks each row's head by m - k, and a batched <c>MatMul</c> applies it to the row's pooled output.
/// </summary>
internal static class DepthHeadsGraph
{
    /// <summary>Logits (B, num_labels) from <paramref name="pooled"/> (B, H) and the planner's decisions <paramref name="runs"/> (B, L - k, booleans).</summary>
    public static string Add(OnnxGraphBuilder g, string pooled, string runs, DepthHeads heads, ParameterSet planner)
    {
        const string scope = "/depth_heads";
        int count = heads.Layers - heads.AlwaysRunLayers + 1;
        var first = heads.For(heads.AlwaysRunLayers);
        int n = first.OutFeatures, h = first.InFeatures;
        var weights = new float[count * n * h];
        var biases = new float[count * n];
        for (int i = 0; i < count; i++)
        {
            var head = heads.For(heads.AlwaysRunLayers + i);
            planner.Span(head.Weight).CopyTo(weights.AsSpan(i * n * h, n * h));
            planner.Span(head.Bias).CopyTo(biases.AsSpan(i * n, n));
        }
        string stackedWeights = g.Initializer("planner.depth_head.weights", weights, count, n, h);
        string stackedBiases = g.Initializer("planner.depth_head.biases", biases, count, n);

        // Index of each row's head: the number of planned layers it runs (B), int64.
        string ran = g.Node(scope, "ReduceSum", [g.Node(scope, "Cast", [runs], Attribute("to", (long)Onnx.TensorProto.Types.DataType.Int64)), g.Int64s(1)],
            Attribute("keepdims", 0L));
        string w = g.Node(scope, "Gather", [stackedWeights, ran], Attribute("axis", 0L));                    // (B, n, H)
        string b = g.Node(scope, "Gather", [stackedBiases, ran], Attribute("axis", 0L));                     // (B, n)
        string column = g.Node(scope, "Unsqueeze", [pooled, g.Int64s(2)]);                                    // (B, H, 1)
        string product = g.Node(scope, "Squeeze", [g.Node(scope, "MatMul", [w, column]), g.Int64s(2)]);      // (B, n)
        return g.Node(scope, "Add", [product, b]);
    }
}
