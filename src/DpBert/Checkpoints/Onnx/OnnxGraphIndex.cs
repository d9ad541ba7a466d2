using Onnx;

namespace DpBert.Checkpoints.Onnx;

/// <summary>
/// Lookups over one ONNX graph that the importer walks: initializers by name, the node producing each value, the
/// nodes (and input slots) consuming it, and the values of constants (initializers or <c>Constant</c> nodes).
/// Every error built here names the file and the node or initializer at fault.
/// </summary>
internal sealed class OnnxGraphIndex
{
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(NodeProto Node, int Slot)>> _consumers = new(StringComparer.Ordinal);

    /// <summary>The file (or description) the graph came from, for error messages.</summary>
    public string Source { get; }
    /// <summary>The graph.</summary>
    public GraphProto Graph { get; }

    public OnnxGraphIndex(GraphProto graph, string source)
    {
        Graph = graph;
        Source = source;
        foreach (var t in graph.Initializer)
            if (!_initializers.TryAdd(t.Name, t)) throw Error($"initializer \"{t.Name}\" appears twice");
        foreach (var node in graph.Node)
        {
            foreach (string output in node.Output)
                if (output.Length > 0 && !_producers.TryAdd(output, node))
                    throw Error($"{Describe(node)}: value \"{output}\" is also produced by {Describe(_producers[output])}");
            for (int slot = 0; slot < node.Input.Count; slot++)
            {
                string input = node.Input[slot];
                if (input.Length == 0) continue; // an omitted optional input
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add((node, slot));
            }
        }
    }

    /// <summary>Every initializer, in file order.</summary>
    public IEnumerable<TensorProto> Initializers => Graph.Initializer;

    /// <summary>The initializer called <paramref name="name"/>, or null.</summary>
    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>The node whose output is <paramref name="value"/>, or null (graph input or initializer).</summary>
    public NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>The nodes reading <paramref name="value"/>, with the input slot each reads it in.</summary>
    public IReadOnlyList<(NodeProto Node, int Slot)> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>The single node reading <paramref name="value"/> with operator <paramref name="opType"/>, or null.</summary>
    public NodeProto? SoleConsumer(string value, string opType)
    {
        var matches = Consumers(value).Where(c => c.Node.OpType == opType).ToList();
        return matches.Count == 1 ? matches[0].Node : null;
    }

    /// <summary>The tensor behind a constant value: an initializer, or the <c>value</c> of a <c>Constant</c> node; null otherwise.</summary>
    public TensorProto? ConstantTensor(string value)
    {
        if (_initializers.TryGetValue(value, out var t)) return t;
        var node = Producer(value);
        if (node is null || node.OpType != "Constant") return null;
        return node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
    }

    /// <summary>The one float a constant scalar (or one-element tensor) holds, or null when <paramref name="value"/> is not one.</summary>
    public float? ScalarConstant(string value)
    {
        var t = ConstantTensor(value);
        if (t is null || t.Dims.Aggregate(1L, (a, d) => a * d) != 1) return null;
        return t.DataType switch
        {
            (int)TensorProto.Types.DataType.Float => OnnxTensorData.ReadFloat32(t, this)[0],
            (int)TensorProto.Types.DataType.Double => (float)OnnxTensorData.ReadDouble(t, this)[0],
            _ => null,
        };
    }

    /// <summary>
    /// The integer elements of a shape value: a constant, or a <c>Concat</c> of pieces some of which are constants
    /// (a dynamic piece such as the batch size gives null elements).
    /// </summary>
    public long?[]? ShapeElements(string value)
    {
        var t = ConstantTensor(value);
        if (t is not null) return IsInteger(t) ? OnnxTensorData.ReadInt64(t, this).Select(v => (long?)v).ToArray() : null;
        var node = Producer(value);
        if (node?.OpType != "Concat") return null;
        var elements = new List<long?>();
        foreach (string piece in node.Input)
        {
            var pieceTensor = ConstantTensor(piece);
            if (pieceTensor is not null && IsInteger(pieceTensor)) elements.AddRange(OnnxTensorData.ReadInt64(pieceTensor, this).Select(v => (long?)v));
            else elements.Add(null); // one dynamic element (an Unsqueeze of a Gather of a Shape)
        }
        return elements.ToArray();
    }

    /// <summary>An integer attribute of <paramref name="node"/>, or <paramref name="fallback"/> when absent.</summary>
    public static long IntAttribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    /// <summary>A float attribute of <paramref name="node"/>, or <paramref name="fallback"/> when absent.</summary>
    public static float FloatAttribute(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>True for int32/int64 tensors (shape and index constants).</summary>
    public static bool IsInteger(TensorProto t) =>
        t.DataType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32;

    /// <summary><c>node "MatMul_34" (MatMul)</c>; an unnamed node is named by its first output.</summary>
    public static string Describe(NodeProto node) =>
        node.Name.Length > 0 ? $"node \"{node.Name}\" ({node.OpType})" : $"the {node.OpType} node producing \"{node.Output.FirstOrDefault()}\"";

    /// <summary>An error about the graph, naming the source file.</summary>
    public InvalidDataException Error(string message) => new($"{Source}: {message}");
}
