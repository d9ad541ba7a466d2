using DpBert.Bert;
using DpBert.Planning;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>
/// <see cref="PlanningModule"/> as ONNX: <c>H -> H/4 (GELU) -> L - k</c> on what the planner reads after the always-run layers
/// (<see cref="PlanningModule.Input"/>: the [CLS] state or the mean of the real tokens),
/// then the inference rule of <see cref="PlanningModule.Plans(float[], int, double)"/>: planned layer i runs when <c>sigmoid(g_i) &gt; theta</c>.
/// </summary>
internal static class PlannerGraph
{
    /// <summary>Which planned layers each row runs (B, L - k) as booleans, and the planner's probabilities (B, L - k).</summary>
    public static (string Runs, string Probabilities) Add(OnnxGraphBuilder g, string hidden, TokenPooling input, Func<string> realTokens, ParameterSet planner, string theta)
    {
        const string scope = "/planner";
        string summary = HeadGraph.Summary(g, scope, hidden, input, realTokens);
        string inner = GraphPrimitives.Gelu(g, scope + "/hidden/gelu", GraphPrimitives.Linear(g, scope + "/hidden", summary, planner, "planner.hidden"));
        string logits = GraphPrimitives.Linear(g, scope + "/output", inner, planner, "planner.output");
        string probabilities = g.Node(scope, "Sigmoid", [logits]);
        return (g.Node(scope, "Greater", [probabilities, theta]), probabilities);
    }

    /// <summary>Column <paramref name="plannedLayer"/> of the decisions: (B) booleans.</summary>
    public static string Column(OnnxGraphBuilder g, string runs, int plannedLayer, int layer) =>
        g.Node($"/encoder/layer.{layer}/plan", "Gather", [runs, g.Int64Scalar(plannedLayer)], Attribute("axis", 1L));

    /// <summary>
    /// The plan over all L layers (B, L) as booleans: true for the <paramref name="alwaysRun"/> first layers, then the
    /// planner's decisions.
    /// </summary>
    public static string FullPlan(OnnxGraphBuilder g, string runs, string inputIds, int alwaysRun)
    {
        const string scope = "/plan";
        if (alwaysRun == 0) return runs;
        string batch = g.Node(scope, "Shape", [inputIds], Attribute("start", 0L), Attribute("end", 1L));            // [B]
        string shape = g.Node(scope, "Concat", [batch, g.Int64s(alwaysRun)], Attribute("axis", 0L));                 // [B, k]
        string always = g.Filled(scope, shape, true);
        return g.Node(scope, "Concat", [always, runs], Attribute("axis", 1L));
    }
}
