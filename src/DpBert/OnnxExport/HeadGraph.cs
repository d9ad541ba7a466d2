using DpBert.Bert;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>
/// <see cref="BertPooler"/> and the classifier as ONNX: <c>tanh(dense(summary(h)))</c>, then <c>classifier</c>; logits (B, num_labels).
/// The summary is what the model's pooler reads (<see cref="BertConfig.PoolerInput"/>): the [CLS] row or the mean of the real tokens.
/// </summary>
internal static class HeadGraph
{
    /// <summary>
    /// What a reader (the pooler, the planner, an exit head) takes from the <paramref name="hidden"/> states (B, S, H), as
    /// <see cref="TokenPoolings.Summarize"/> computes it: for <paramref name="pooling"/> [CLS] the first rows, for the mean the
    /// sum of the real tokens' rows times the reciprocal of their count (at least 1): (B, H). <paramref name="realTokens"/>
    /// gives the (B, S) real-token mask of these rows (<see cref="RealTokensGraph"/>) and is called for the mean only.
    /// </summary>
    public static string Summary(OnnxGraphBuilder g, string scope, string hidden, TokenPooling pooling, Func<string> realTokens)
    {
        if (pooling == TokenPooling.Cls) return g.Node(scope, "Gather", [hidden, g.Int64Scalar(0)], Attribute("axis", 1L));
        string mask = realTokens();
        string masked = g.Node(scope, "Mul", [hidden, g.Node(scope, "Unsqueeze", [mask, g.Int64s(2)])]);                         // (B, S, H)
        string sum = g.Node(scope, "ReduceSum", [masked, g.Int64s(1)], Attribute("keepdims", 0L));                                // (B, H)
        string count = g.Node(scope, "Max", [g.Node(scope, "ReduceSum", [mask, g.Int64s(1)], Attribute("keepdims", 1L)), g.Scalar(1f)]); // (B, 1)
        return g.Node(scope, "Mul", [sum, g.Node(scope, "Reciprocal", [count])]);
    }

    /// <summary>A pooler, <c>tanh(dense(summary(h)))</c>, with the Linear layer <paramref name="dense"/>: (B, H).</summary>
    public static string Pooled(OnnxGraphBuilder g, string scope, string hidden, TokenPooling pooling, Func<string> realTokens, ParameterSet p, string dense) =>
        g.Node(scope, "Tanh", [GraphPrimitives.Linear(g, scope + "/dense", Summary(g, scope, hidden, pooling, realTokens), p, dense)]);

    /// <summary>The model's pooler (reading <paramref name="pooling"/>) and classifier on the final hidden states; returns the logits.</summary>
    public static string Add(OnnxGraphBuilder g, string hidden, TokenPooling pooling, Func<string> realTokens, ParameterSet p) =>
        GraphPrimitives.Linear(g, "/classifier", Pooled(g, "/pooler", hidden, pooling, realTokens, p, "bert.pooler.dense"), p, "classifier");
}
