using DpBert.Bert;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>The operations every block shares: a Linear layer, LayerNorm and exact (erf) GELU, as ONNX nodes.</summary>
internal static class GraphPrimitives
{
    /// <summary><c>x W^T + b</c> for the Linear layer <paramref name="linear"/> (a Hugging Face key prefix): <c>MatMul</c> then <c>Add</c>.</summary>
    public static string Linear(OnnxGraphBuilder g, string scope, string x, ParameterSet p, string linear)
    {
        string product = g.Node(scope, "MatMul", [x, g.TransposedWeight(p, linear)]);
        return g.Node(scope, "Add", [product, g.Parameter(p, linear + ".bias")]);
    }

    /// <summary>LayerNorm over the last axis with the <c>{prefix}.weight</c> and <c>{prefix}.bias</c> of <paramref name="p"/> (biased variance, as Hugging Face).</summary>
    public static string LayerNorm(OnnxGraphBuilder g, string scope, string x, ParameterSet p, string prefix, float epsilon) =>
        g.Node(scope, "LayerNormalization", [x, g.Parameter(p, prefix + ".weight"), g.Parameter(p, prefix + ".bias")],
            Attribute("axis", -1L), Attribute("epsilon", epsilon));

    /// <summary>
    /// Exact GELU, <c>x/2 (1 + erf(x / sqrt 2))</c>, spelled as PyTorch exports it (<c>Div</c>, <c>Erf</c>, <c>Add</c>,
    /// <c>Mul</c>, <c>Mul</c>) so ONNX Runtime's optimiser recognises and fuses it; standard operators only.
    /// </summary>
    public static string Gelu(OnnxGraphBuilder g, string scope, string x)
    {
        string erf = g.Node(scope, "Erf", [g.Node(scope, "Div", [x, g.Scalar(MathF.Sqrt(2f))])]);
        string onePlus = g.Node(scope, "Add", [erf, g.Scalar(1f)]);
        return g.Node(scope, "Mul", [g.Node(scope, "Mul", [x, onePlus]), g.Scalar(0.5f)]);
    }
}
