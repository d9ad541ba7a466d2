using System.Globalization;
using System.Text.RegularExpressions;
using DpBert.Bert;
using Onnx;

namespace DpBert.Checkpoints.Onnx;

/// <summary>
/// Reads a <see cref="BertConfig"/> off an exported <c>BertModel</c> graph, nothing guessed:
/// <list type="bullet">
/// <item>vocabulary, hidden size, positions and token types: the shapes of the three embedding tables;</item>
/// <item>layers: the <c>encoder.layer.N</c> indices of the weights; intermediate size: the intermediate bias;</item>
/// <item>heads: the constant shape each attention projection is reshaped to, <c>(batch, seq, heads, head_size)</c>;</item>
/// <item>LayerNorm epsilon: the constant added to the variance (or a <c>LayerNormalization</c> node's attribute);</item>
/// <item>activation: the exact erf GELU (<c>x / sqrt(2)</c> into <c>Erf</c>, or a <c>Gelu</c> node without approximation).</item>
/// </list>
/// Each must agree across layers; a pattern that is not found is an error naming the node where it broke.
/// </summary>
internal static partial class OnnxBertConfigInference
{
    public static BertConfig Infer(OnnxGraphIndex graph, IReadOnlyDictionary<string, OnnxWeight> weights)
    {
        var word = Require(graph, weights, "embeddings.word_embeddings.weight");
        var positions = Require(graph, weights, "embeddings.position_embeddings.weight");
        var tokenTypes = Require(graph, weights, "embeddings.token_type_embeddings.weight");
        foreach (var table in new[] { word, positions, tokenTypes })
            if (table.Tensor.Dims.Count != 2) throw graph.Error($"{table.Describe()} has shape {OnnxTensorData.Shape(table.Tensor)}; an embedding table is 2-D");
        int hidden = Dim(word, 1);
        int layers = weights.Keys.Select(LayerIndex).Where(i => i >= 0).DefaultIfEmpty(-1).Max() + 1;
        if (layers == 0) throw graph.Error("no encoder.layer.N weights found: not a BertModel export");
        var intermediateBias = Require(graph, weights, "encoder.layer.0.intermediate.dense.bias");

        int heads = 0;
        float eps = 0;
        string? epsSource = null;
        for (int l = 0; l < layers; l++)
        {
            foreach (string projection in new[] { "query", "key", "value" })
            {
                var bias = Require(graph, weights, $"encoder.layer.{l}.attention.self.{projection}.bias");
                int found = HeadsAfter(graph, bias, hidden);
                if (heads != 0 && found != heads)
                    throw graph.Error($"{bias.Describe()}: the attention is split into {found} heads here but {heads} in earlier projections");
                heads = found;
            }
            CheckGelu(graph, Require(graph, weights, $"encoder.layer.{l}.intermediate.dense.bias"));
        }
        foreach (var norm in weights.Values.Where(w => w.Key.EndsWith("LayerNorm.weight", StringComparison.Ordinal)).OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            float found = EpsilonOf(graph, norm);
            if (epsSource is not null && found != eps)
                throw graph.Error($"{norm.Describe()}: LayerNorm epsilon {found.ToString("R", CultureInfo.InvariantCulture)} differs from " +
                    $"{eps.ToString("R", CultureInfo.InvariantCulture)} of {epsSource}; one layer_norm_eps cannot hold both");
            eps = found;
            epsSource = norm.Describe();
        }

        return new BertConfig
        {
            VocabSize = Dim(word, 0),
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            IntermediateSize = Dim(intermediateBias, 0),
            HiddenAct = "gelu",
            MaxPositionEmbeddings = Dim(positions, 0),
            TypeVocabSize = Dim(tokenTypes, 0),
            LayerNormEps = eps,
        };
    }

    private static OnnxWeight Require(OnnxGraphIndex graph, IReadOnlyDictionary<string, OnnxWeight> weights, string key) =>
        weights.TryGetValue(key, out var w) ? w : throw graph.Error($"initializer \"{key}\" not found: the graph is not a complete BertModel export");

    private static int Dim(OnnxWeight w, int axis) => checked((int)w.Tensor.Dims[axis]);

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.")]
    private static partial Regex LayerKey();

    // An index beyond int (encoder.layer.99999999999.) is no layer: the layout check then names the weight as not a BertModel's.
    private static int LayerIndex(string key) =>
        LayerKey().Match(key) is { Success: true } m && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < int.MaxValue ? index : -1;

    /// <summary>
    /// The number of heads a Q/K/V projection is split into: its bias Add feeds a Reshape to <c>(batch, seq, heads,
    /// head_size)</c> whose last two elements are constants (a <c>Concat</c> of the dynamic sizes and two constants, or
    /// one constant shape).
    /// </summary>
    private static int HeadsAfter(OnnxGraphIndex graph, OnnxWeight bias, int hidden)
    {
        var add = graph.SoleConsumer(bias.Tensor.Name, "Add")
            ?? throw graph.Error($"{bias.Describe()} is not added by exactly one Add node");
        var reshape = graph.Consumers(add.Output[0]).FirstOrDefault(c => c.Node.OpType == "Reshape" && c.Slot == 0).Node
            ?? throw graph.Error($"{OnnxGraphIndex.Describe(add)} (the {bias.Key} projection) does not feed a Reshape into attention heads");
        var shape = graph.ShapeElements(reshape.Input[1]);
        if (shape is not { Length: 4 } || shape[2] is not > 0 || shape[3] is not > 0)
            throw graph.Error($"{OnnxGraphIndex.Describe(reshape)}: the shape it reshapes {bias.Key} to is not (batch, seq, heads, head_size) with constant heads and head size " +
                $"(found [{(shape is null ? "not a constant or Concat" : string.Join(", ", shape.Select(e => e?.ToString(CultureInfo.InvariantCulture) ?? "?")))}])");
        long heads = shape[2]!.Value, headSize = shape[3]!.Value;
        // Found by the onnx-model campaign: 2^62 + 2 heads times a head size of 4 wrapped around to 8, passed, and the
        // head count then overflowed int. Each factor of the hidden size is at most the hidden size.
        if (heads > hidden || headSize > hidden || heads * headSize != hidden)
            throw graph.Error($"{OnnxGraphIndex.Describe(reshape)}: {heads} heads of size {headSize} do not make the hidden size {hidden}");
        return checked((int)heads);
    }

    /// <summary>
    /// LayerNorm's epsilon for the norm whose scale is <paramref name="norm"/>: a <c>LayerNormalization</c> node's attribute, or,
    /// decomposed as PyTorch exports it before opset 17, the constant in <c>Mul(Div(x - mean, Sqrt(Add(var, eps))), weight)</c>.
    /// </summary>
    private static float EpsilonOf(OnnxGraphIndex graph, OnnxWeight norm)
    {
        var consumers = graph.Consumers(norm.Tensor.Name);
        if (consumers.Count != 1) throw graph.Error($"{norm.Describe()} is read by {consumers.Count} nodes; a LayerNorm scale is read once");
        var (node, slot) = consumers[0];
        if (node.OpType == "LayerNormalization" && slot == 1) return OnnxGraphIndex.FloatAttribute(node, "epsilon", 1e-5f);
        string where = $"{norm.Describe()} is read by {OnnxGraphIndex.Describe(node)}";
        if (node.OpType != "Mul") throw graph.Error($"{where}, not by a LayerNorm's Mul or a LayerNormalization node");
        var div = graph.Producer(node.Input[1 - slot]);
        var sqrt = div?.OpType == "Div" ? graph.Producer(div.Input[1]) : null;
        var add = sqrt?.OpType == "Sqrt" ? graph.Producer(sqrt.Input[0]) : null;
        float? eps = add?.OpType == "Add" ? add.Input.Select(graph.ScalarConstant).FirstOrDefault(v => v is not null) : null;
        if (eps is not > 0f)
        {
            string stopped = (add ?? sqrt ?? div) is { } last ? OnnxGraphIndex.Describe(last) : "its other operand";
            throw graph.Error($"{where}, but the LayerNorm before it is not (x - mean) / Sqrt(variance + epsilon) with a constant epsilon (stopped at {stopped})");
        }
        return eps.Value;
    }

    /// <summary>Checks that the intermediate activation is the exact erf GELU, the one <c>hidden_act = "gelu"</c> means.</summary>
    private static void CheckGelu(OnnxGraphIndex graph, OnnxWeight intermediateBias)
    {
        var add = graph.SoleConsumer(intermediateBias.Tensor.Name, "Add")
            ?? throw graph.Error($"{intermediateBias.Describe()} is not added by exactly one Add node");
        var readers = graph.Consumers(add.Output[0]).Select(c => c.Node).ToList();
        foreach (var node in readers)
        {
            if (node.OpType == "Gelu" && (node.Attribute.FirstOrDefault(a => a.Name == "approximate")?.S.ToStringUtf8() ?? "none") == "none") return;
            if (node.OpType == "Div" && graph.ScalarConstant(node.Input[1]) is float d && MathF.Abs(d - MathF.Sqrt(2f)) < 1e-4f
                && graph.SoleConsumer(node.Output[0], "Erf") is not null) return;
            if (node.OpType == "Mul" && node.Input.Select(graph.ScalarConstant).Any(v => v is float m && MathF.Abs(m - 1f / MathF.Sqrt(2f)) < 1e-4f)
                && graph.SoleConsumer(node.Output[0], "Erf") is not null) return;
        }
        throw graph.Error($"the activation after {OnnxGraphIndex.Describe(add)} ({intermediateBias.Key[..^".bias".Length]}) is not the exact erf GELU " +
            $"(read by {string.Join(", ", readers.Select(OnnxGraphIndex.Describe))}); only hidden_act \"gelu\" is supported");
    }
}
