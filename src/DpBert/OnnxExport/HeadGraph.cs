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

    /// <summary>Pooler and classifier on the final hidden states; returns the logits.</summary>
    public static string Add(OnnxGraphBuilder g, string hidden, ParameterSet p)
    {
        string cls = ClsRows(g, "/pooler", hidden);
        string pooled = g.Node("/pooler", "Tanh", [GraphPrimitives.Linear(g, "/pooler/dense", cls, p, "bert.pooler.dense")]);
        return GraphPrimitives.Linear(g, "/classifier", pooled, p, "classifier");
    }
}
