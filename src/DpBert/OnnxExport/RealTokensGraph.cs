using static DpBert.OnnxExport.OnnxGraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace DpBert.OnnxExport;

/// <summary>
/// The (B, S) float mask that mean pooling reads, as the core engine counts tokens: 1 where the attention mask is not 0,
/// 0 for padding. Built on first use, so a graph whose readers all take [CLS] does not carry it.
/// </summary>
internal sealed class RealTokensGraph(OnnxGraphBuilder g, string attentionMask)
{
    private string? _mask;

    /// <summary>The mask of every row of the batch (B, S).</summary>
    public string Mask()
    {
        const string scope = "/real_tokens";
        return _mask ??= g.Node(scope, "Cast", [g.Node(scope, "Cast", [attentionMask], Attribute("to", (long)DataType.Bool))], Attribute("to", (long)DataType.Float));
    }

    /// <summary>The mask of the rows <paramref name="rows"/> (n, 1) of the batch (<c>GatherND</c>): (n, S).</summary>
    public string MaskOf(string scope, string rows) => g.Node(scope, "GatherND", [Mask(), rows]);
}
