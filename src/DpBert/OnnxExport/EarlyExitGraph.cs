using DpBert.Bert;
using DpBert.EarlyExit;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>
/// Early-exit inference (DeeBERT, PABEE) as ONNX, as <see cref="EarlyExitClassifier"/> runs it: layers run one at a time on
/// the rows still active (<see cref="RowSubsetGraph"/>), each consults its exit head, and rows
/// that exit keep that head's logits and leave; the last layer's exit takes every row still running.
/// DeeBERT exits when the entropy (nats) of the exit's prediction is below the <c>entropy</c> input; PABEE once the prediction
/// has stayed the same (regression: moved less than 0.1) for <c>patience</c> consecutive layers.
/// </summary>
internal static class EarlyExitGraph
{
    /// <summary>PABEE on a regression task: the largest change of the prediction that still counts as "the same" (as the core engine).</summary>
    internal const float RegressionTolerance = 0.1f;

    /// <summary>Returns the logits (B, num_labels) and the plan (B, L): the first layers of each row, up to the one it exited at.</summary>
    public static (string Logits, string Plan) Add(OnnxGraphBuilder g, string hidden, string mask, RealTokensGraph realTokens, string inputIds, BertConfig config,
        ParameterSet backbone, EarlyExitMethod method, ParameterSet exits, TokenPooling headInput, string knob)
    {
        int layers = config.NumHiddenLayers, labels = config.NumLabels;
        bool regression = labels == 1;
        string batch = g.Node("/exit_state", "Shape", [inputIds], Attribute("start", 0L), Attribute("end", 1L));                // [B]
        string active = g.Filled("/exit_state/active", batch, true);                                                            // (B)
        string output = g.Filled("/exit_state/logits", g.Node("/exit_state", "Concat", [batch, g.Int64s(labels)], Attribute("axis", 0L)), 0f);
        // PABEE: each row's previous prediction (class or regression value) and how many layers in a row it has stayed.
        string previous = method == EarlyExitMethod.Pabee ? g.Filled("/exit_state/previous", batch, regression ? (object)0f : 0L) : "";
        string streak = method == EarlyExitMethod.Pabee ? g.Filled("/exit_state/streak", batch, 0L) : "";
        var ran = new List<string>();
        for (int l = 0; l < layers; l++)
        {
            int layer = l;
            ran.Add(g.Node($"/plan/layer.{l}", "Unsqueeze", [active, g.Int64s(1)]));                                              // (B, 1)
            (hidden, string rows, string layerOutput) = RowSubsetGraph.Add(g, $"/encoder/layer.{l}/rows", hidden, mask, active,
                (x, m) => LayerGraph.Add(g, x, m, backbone, config, layer));                                                    // rows (m, 1)
            var reads = ExitHeads.InputOf(method, l, layers, headInput, config.PoolerInput);
            string exitLogits = ExitHeadGraph.Add(g, layerOutput, reads, () => realTokens.MaskOf($"/exits.{layer}/rows", rows), l, layers, method, backbone, exits); // (m, n)
            if (l == layers - 1)
            {
                output = g.Node($"/exits.{l}/keep", "ScatterND", [output, rows, exitLogits]);
                break;
            }
            string exitNow = method == EarlyExitMethod.DeeBert
                ? EntropyBelow(g, $"/exits.{l}/entropy", exitLogits, knob)
                : PatienceReached(g, $"/exits.{l}/patience", exitLogits, rows, l, regression, knob, ref previous, ref streak);   // (m)
            string kept = g.Node($"/exits.{l}/keep", "Where",
                [g.Node($"/exits.{l}/keep", "Unsqueeze", [exitNow, g.Int64s(1)]), exitLogits, g.Node($"/exits.{l}/keep", "GatherND", [output, rows])]);
            output = g.Node($"/exits.{l}/keep", "ScatterND", [output, rows, kept]);
            active = g.Node($"/exits.{l}/leave", "ScatterND", [active, rows, g.Node($"/exits.{l}/leave", "Not", [exitNow])]);
        }
        return (output, g.Node("/plan", "Concat", ran, Attribute("axis", 1L)));
    }

    /// <summary>DeeBERT's rule: entropy <c>-sum p log p</c> of each row's softmax (m) below the threshold.</summary>
    private static string EntropyBelow(OnnxGraphBuilder g, string scope, string logits, string threshold)
    {
        string plogp = g.Node(scope, "Mul", [g.Node(scope, "Softmax", [logits], Attribute("axis", -1L)), g.Node(scope, "LogSoftmax", [logits], Attribute("axis", -1L))]);
        string entropy = g.Node(scope, "Neg", [g.Node(scope, "ReduceSum", [plogp, g.Int64s(1)], Attribute("keepdims", 0L))]);
        return g.Node(scope, "Less", [entropy, threshold]);
    }

    /// <summary>PABEE's rule on the active rows: update each row's streak of unchanged predictions; exit when it reaches the patience.</summary>
    private static string PatienceReached(OnnxGraphBuilder g, string scope, string logits, string rows, int layer, bool regression, string patience,
        ref string previous, ref string streak)
    {
        string prediction = regression
            ? g.Node(scope, "Gather", [logits, g.Int64Scalar(0)], Attribute("axis", 1L))                                       // (m) value
            : g.Node(scope, "ArgMax", [logits], Attribute("axis", 1L), Attribute("keepdims", 0L));                              // (m) class
        string newStreak;
        if (layer == 0) newStreak = g.Filled(scope, g.Node(scope, "Shape", [prediction]), 0L);                                 // nothing to compare yet
        else
        {
            string before = g.Node(scope, "GatherND", [previous, rows]);
            string same = regression
                ? g.Node(scope, "Less", [g.Node(scope, "Abs", [g.Node(scope, "Sub", [prediction, before])]), g.Scalar(RegressionTolerance)])
                : g.Node(scope, "Equal", [prediction, before]);
            string longer = g.Node(scope, "Add", [g.Node(scope, "GatherND", [streak, rows]), g.Int64s(1)]);
            newStreak = g.Node(scope, "Where", [same, longer, g.Node(scope, "Sub", [longer, longer])]);
        }
        previous = g.Node(scope, "ScatterND", [previous, rows, prediction]);
        streak = g.Node(scope, "ScatterND", [streak, rows, newStreak]);
        return g.Node(scope, "GreaterOrEqual", [newStreak, patience]);
    }
}
