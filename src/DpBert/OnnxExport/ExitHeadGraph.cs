using DpBert.Bert;
using DpBert.EarlyExit;

namespace DpBert.OnnxExport;

/// <summary>
/// The exit heads of the early-exit baselines as ONNX, under the keys of an early-exit folder: DeeBERT's exit l is its own
/// pooler <c>exits.{l}.pooler.dense</c> and classifier <c>exits.{l}.classifier</c> (the last exit is the model's head);
/// PABEE's exit l is <c>exits.{l}.classifier</c> on the backbone's shared pooler. Each exit reads what
/// <see cref="ExitHeads.InputOf(EarlyExitMethod, int, int, TokenPooling, TokenPooling)"/> says.
/// </summary>
internal static class ExitHeadGraph
{
    /// <summary>
    /// Logits (B, num_labels) of exit <paramref name="layer"/> on that layer's output <paramref name="hidden"/> (B, S, H), reading
    /// <paramref name="pooling"/> (the real-token mask of these rows from <paramref name="realTokens"/> when it is the mean).
    /// </summary>
    public static string Add(OnnxGraphBuilder g, string hidden, TokenPooling pooling, Func<string> realTokens, int layer, int layers, EarlyExitMethod method,
        ParameterSet backbone, ParameterSet exits)
    {
        string scope = $"/exits.{layer}";
        if (method == EarlyExitMethod.DeeBert)
        {
            if (layer == layers - 1) return HeadGraph.Add(g, hidden, pooling, realTokens, backbone);
            string own = HeadGraph.Pooled(g, scope + "/pooler", hidden, pooling, realTokens, exits, $"exits.{layer}.pooler.dense");
            return GraphPrimitives.Linear(g, scope + "/classifier", own, exits, $"exits.{layer}.classifier");
        }
        string shared = HeadGraph.Pooled(g, scope + "/pooler", hidden, pooling, realTokens, backbone, "bert.pooler.dense");
        return GraphPrimitives.Linear(g, scope + "/classifier", shared, exits, $"exits.{layer}.classifier");
    }
}
