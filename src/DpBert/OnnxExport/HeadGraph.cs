using DpBert.Bert;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>
/// <see cref="BertPooler"/> and the classifier as ONNX: <c>tanh(dense(h[:, 0]))</c>, then <c>classifier</c>; logits (B, num_labels).
/// </summary>
internal static class HeadGraph
{
    /// <summary>The [CLS] rows (B, H) of hidden states (B, S, H).</summary>
    public static string ClsRows(OnnxGraphBuilder g, string scope, string hidden) =>
        g.Node(scope, "Gather", [hidden, g.Int64Scalar(0)], Attribute("axis", 1L));

    /// <summary>A pooler, <c>tanh(dense(h[:, 0]))</c>, with the Linear layer <paramref name="dense"/>: (B, H).</summary>
    public static string Pooled(OnnxGraphBuilder g, string scope, string hidden, ParameterSet p, string dense) =>
        g.Node(scope, "Tanh", [GraphPrimitives.Linear(g, scope + "/dense", ClsRows(g, scope, hidden), p, dense)]);

    /// <summary>The model's pooler and classifier on the final hidden states; returns the logits.</summary>
    public static string Add(OnnxGraphBuilder g, string hidden, ParameterSet p) =>
        GraphPrimitives.Linear(g, "/classifier", Pooled(g, "/pooler", hidden, p, "bert.pooler.dense"), p, "classifier");
}
