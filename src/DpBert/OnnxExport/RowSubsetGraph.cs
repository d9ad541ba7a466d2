namespace DpBert.OnnxExport;

/// <summary>
/// Runs a block on the rows of a batch that a (B) boolean selects, for real: <c>NonZero</c> gives the selected row
/// indices, <c>GatherND</c> takes those rows of the hidden states and of the mask, the block runs on that sub-batch
/// only, and <c>ScatterND</c> writes its output back over the same rows; every other row keeps its hidden state
/// (a bypassed layer is the identity). When no row is selected the sub-batch is empty and the block costs nothing.
/// </summary>
internal static class RowSubsetGraph
{
    /// <summary>
    /// Runs <paramref name="block"/> (sub-batch hidden, sub-batch mask) on the selected rows; returns the hidden states (B, S, H)
    /// after it, the selected row indices (n, 1) and the block's output on them (n, S, H).
    /// </summary>
    public static (string Hidden, string Rows, string Output) Add(OnnxGraphBuilder g, string scope, string hidden, string additiveMask, string selected,
        Func<string, string, string> block)
    {
        string rows = g.Node(scope, "Transpose", [g.Node(scope, "NonZero", [selected])], OnnxGraphBuilder.Attribute("perm", new long[] { 1, 0 }));  // (n, 1)
        string subHidden = g.Node(scope, "GatherND", [hidden, rows]);                                                     // (n, S, H)
        string subMask = g.Node(scope, "GatherND", [additiveMask, rows]);                                                 // (n, 1, 1, S)
        string output = block(subHidden, subMask);
        return (g.Node(scope, "ScatterND", [hidden, rows, output]), rows, output);
    }
}
