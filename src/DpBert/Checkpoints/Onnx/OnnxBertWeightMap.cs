using Onnx;

namespace DpBert.Checkpoints.Onnx;

/// <summary>One weight found in the graph: its Hugging Face key, the initializer holding it and whether it is stored transposed.</summary>
/// <param name="Key">The <c>BertModel</c> key (no <c>bert.</c> prefix), e.g. <c>encoder.layer.0.attention.self.query.weight</c>.</param>
/// <param name="Tensor">The initializer.</param>
/// <param name="Transposed">True when stored <c>[in, out]</c> (a MatMul operand); Hugging Face stores Linear weights <c>[out, in]</c>.</param>
internal sealed record OnnxWeight(string Key, TensorProto Tensor, bool Transposed)
{
    /// <summary>The shape in Hugging Face's orientation.</summary>
    public long[] HfShape => Transposed ? [Tensor.Dims[1], Tensor.Dims[0]] : Tensor.Dims.ToArray();

    /// <summary><c>initializer "927" (encoder.layer.0.attention.self.query.weight)</c>.</summary>
    public string Describe() => Tensor.Name == Key ? $"initializer \"{Key}\"" : $"initializer \"{Tensor.Name}\" ({Key})";
}

/// <summary>
/// Assigns every initializer of a PyTorch-exported <c>BertModel</c> graph a role. Float initializers named with a Hugging
/// Face key map by name; an anonymous one (<c>onnx::MatMul_788</c>, <c>927</c>: PyTorch folds <c>W^T</c> of each Linear into a
/// new constant) maps through the graph: it must be the right operand of a MatMul whose output goes into an Add with a
/// named bias <c>X.bias</c>, and becomes <c>X.weight</c>, stored <c>[in, out]</c>. Integer initializers are shape and
/// index constants of the graph's plumbing; <c>embeddings.position_ids</c> is a buffer, not a weight. Anything else is an
/// error naming the initializer.
/// </summary>
internal static class OnnxBertWeightMap
{
    /// <summary>Keys under these roots are <c>BertModel</c> weights; a leading <c>bert.</c> is dropped.</summary>
    private static readonly string[] BertRoots = ["embeddings.", "encoder.", "pooler."];
    private const string PositionIdsBuffer = "embeddings.position_ids";

    /// <summary>Operators that read shape or index constants in a BERT export.</summary>
    private static readonly HashSet<string> PlumbingOps = new(StringComparer.Ordinal)
    {
        "Concat", "Reshape", "Slice", "Unsqueeze", "Squeeze", "Gather", "Expand", "Equal", "Where", "ConstantOfShape", "Range", "Cast", "Add", "Sub", "Mul",
    };

    /// <summary>Elementwise operators that may read a float scalar constant stored as an initializer (epsilon, sqrt(2), ...).</summary>
    private static readonly HashSet<string> ScalarOps = new(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Div", "Pow", "Where" };

    /// <summary>The weights by Hugging Face key, and what was deliberately not taken (for the import notes).</summary>
    public static (Dictionary<string, OnnxWeight> Weights, List<string> Skipped) Build(OnnxGraphIndex graph)
    {
        var weights = new Dictionary<string, OnnxWeight>(StringComparer.Ordinal);
        var skipped = new List<string>();
        foreach (var t in graph.Initializers)
        {
            if (OnnxGraphIndex.IsInteger(t))
            {
                if (HfKey(t.Name) == PositionIdsBuffer) { skipped.Add($"{t.Name} (buffer of position ids, not a weight)"); continue; }
                RequireReadBy(graph, t, PlumbingOps, "an integer constant");
                continue;
            }
            if (t.DataType != (int)TensorProto.Types.DataType.Float)
                throw graph.Error($"initializer \"{t.Name}\" {OnnxTensorData.Shape(t)} has data type {OnnxTensorData.TypeName(t.DataType)}; the importer reads FLOAT weights");
            var weight = HfKey(t.Name) is { } key ? Named(graph, t, key) : Anonymous(graph, t);
            if (weight is null) continue; // a float scalar constant of the arithmetic
            if (weights.TryGetValue(weight.Key, out var earlier))
                throw graph.Error($"{weight.Describe()} and {earlier.Describe()} both hold {weight.Key}");
            weights.Add(weight.Key, weight);
        }
        return (weights, skipped);
    }

    /// <summary>The <c>BertModel</c> key of an initializer name, or null when it is not under a BERT root.</summary>
    private static string? HfKey(string name)
    {
        string key = name.StartsWith("bert.", StringComparison.Ordinal) ? name["bert.".Length..] : name;
        return BertRoots.Any(r => key.StartsWith(r, StringComparison.Ordinal)) ? key : null;
    }

    private static bool IsLinearWeight(string key) =>
        key.EndsWith(".weight", StringComparison.Ordinal) && !key.Contains("LayerNorm", StringComparison.Ordinal) && !key.StartsWith("embeddings.", StringComparison.Ordinal);

    /// <summary>A named weight: as it is, except a Linear weight read by a MatMul (stored <c>[in, out]</c>) or by a Gemm without transB.</summary>
    private static OnnxWeight Named(OnnxGraphIndex graph, TensorProto t, string key)
    {
        if (!IsLinearWeight(key)) return new OnnxWeight(key, t, Transposed: false);
        return new OnnxWeight(key, t, StoredTransposed(graph, t));
    }

    /// <summary>An anonymous float initializer: a Linear weight found through its MatMul and the Add with the named bias.</summary>
    private static OnnxWeight? Anonymous(OnnxGraphIndex graph, TensorProto t)
    {
        if (OnnxTensorData.ElementCount(t) == 1)
        {
            RequireReadBy(graph, t, ScalarOps, "a scalar constant");
            return null;
        }
        var consumers = graph.Consumers(t.Name);
        if (consumers.Count != 1)
            throw graph.Error($"initializer \"{t.Name}\" {OnnxTensorData.Shape(t)} has no Hugging Face name and is read by {consumers.Count} nodes; " +
                "an anonymous weight must feed exactly one MatMul or Gemm");
        var (node, slot) = consumers[0];
        if (t.Dims.Count != 2 || slot != 1 || node.OpType is not ("MatMul" or "Gemm"))
            throw graph.Error($"initializer \"{t.Name}\" {OnnxTensorData.Shape(t)} has no Hugging Face name and feeds {OnnxGraphIndex.Describe(node)} (input {slot}), " +
                "which the importer does not recognise; an anonymous weight must be the right operand of a MatMul or Gemm");
        string bias = BiasOf(graph, node)
            ?? throw graph.Error($"initializer \"{t.Name}\" {OnnxTensorData.Shape(t)} feeds {OnnxGraphIndex.Describe(node)}, but no Add with a named " +
                "\".bias\" initializer follows it, so its Hugging Face name cannot be found");
        string key = bias[..^".bias".Length] + ".weight";
        return new OnnxWeight(key, t, StoredTransposed(graph, t));
    }

    /// <summary>The Hugging Face bias key added to a MatMul's output (or a Gemm's third input), or null.</summary>
    private static string? BiasOf(OnnxGraphIndex graph, NodeProto linear)
    {
        IEnumerable<string> candidates = linear.OpType == "Gemm"
            ? linear.Input.Skip(2)
            : graph.Consumers(linear.Output[0]).Where(c => c.Node.OpType == "Add").SelectMany(c => c.Node.Input);
        return candidates.Select(HfKey).FirstOrDefault(k => k is not null && k.EndsWith(".bias", StringComparison.Ordinal) && graph.Initializer(NameOf(graph, k)) is not null);
    }

    /// <summary>The initializer name spelling <paramref name="key"/> (with or without <c>bert.</c>).</summary>
    private static string NameOf(OnnxGraphIndex graph, string key) => graph.Initializer(key) is not null ? key : "bert." + key;

    /// <summary>
    /// Whether a Linear weight is stored <c>[in, out]</c>: true when it is a MatMul's right operand or a Gemm's B without
    /// transB; false behind a Transpose or as a Gemm's B with transB = 1 (PyTorch's <c>[out, in]</c>).
    /// </summary>
    private static bool StoredTransposed(OnnxGraphIndex graph, TensorProto t)
    {
        var consumers = graph.Consumers(t.Name);
        if (consumers.Count == 1)
        {
            var (node, slot) = consumers[0];
            if (node.OpType == "MatMul" && slot == 1) return true;
            if (node.OpType == "Gemm" && slot == 1) return OnnxGraphIndex.IntAttribute(node, "transB", 0) == 0;
            if (node.OpType == "Transpose" && graph.SoleConsumer(node.Output[0], "MatMul") is not null) return false;
        }
        string readers = consumers.Count == 0 ? "no node" : string.Join(", ", consumers.Select(c => OnnxGraphIndex.Describe(c.Node)));
        throw graph.Error($"initializer \"{t.Name}\" {OnnxTensorData.Shape(t)} is read by {readers}; a Linear weight must feed one MatMul, Gemm or Transpose-then-MatMul");
    }

    private static void RequireReadBy(OnnxGraphIndex graph, TensorProto t, HashSet<string> ops, string role)
    {
        foreach (var (node, _) in graph.Consumers(t.Name))
            if (!ops.Contains(node.OpType))
                throw graph.Error($"initializer \"{t.Name}\" {OnnxTensorData.Shape(t)} ({role}) feeds {OnnxGraphIndex.Describe(node)}, which the importer does not recognise");
    }
}
