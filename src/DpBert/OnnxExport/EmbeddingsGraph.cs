using DpBert.Bert;
using static DpBert.OnnxExport.OnnxGraphBuilder;

namespace DpBert.OnnxExport;

/// <summary>
/// <see cref="BertEmbeddings"/> as ONNX: <c>LayerNorm(word[ids] + position[0..S-1] + token_type[tt])</c>, the
/// position rows sliced to the run-time sequence length.
/// </summary>
internal static class EmbeddingsGraph
{
    /// <summary>Hidden states (B, S, H) from <paramref name="inputIds"/> and <paramref name="tokenTypeIds"/> (B, S), int64.</summary>
    public static string Add(OnnxGraphBuilder g, ParameterSet p, BertConfig config, string inputIds, string tokenTypeIds)
    {
        const string scope = "/embeddings", e = "bert.embeddings.";
        string word = g.Node(scope + "/word_embeddings", "Gather", [g.Parameter(p, e + "word_embeddings.weight"), inputIds], Attribute("axis", 0L));
        string seqLen = g.Node(scope, "Shape", [inputIds], Attribute("start", 1L), Attribute("end", 2L));               // [S]
        string position = g.Node(scope + "/position_embeddings", "Slice",
            [g.Parameter(p, e + "position_embeddings.weight"), g.Int64s(0), seqLen, g.Int64s(0)]);                    // (S, H)
        string tokenType = g.Node(scope + "/token_type_embeddings", "Gather", [g.Parameter(p, e + "token_type_embeddings.weight"), tokenTypeIds], Attribute("axis", 0L));
        string sum = g.Node(scope, "Add", [g.Node(scope, "Add", [word, position]), tokenType]);
        return GraphPrimitives.LayerNorm(g, scope + "/LayerNorm", sum, p, e + "LayerNorm", config.LayerNormEps);
    }
}
