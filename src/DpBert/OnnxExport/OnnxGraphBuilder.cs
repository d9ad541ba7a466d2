using System.Runtime.InteropServices;
using DpBert.Bert;
using Google.Protobuf;
using Onnx;

namespace DpBert.OnnxExport;

/// <summary>
/// Appends nodes, initializers and constants to an ONNX <see cref="GraphProto"/> (OnnxSharp's generated types).
/// Every block of the exported BERT is a small function that calls <see cref="Node"/> with scoped names
/// (<c>/encoder/layer.3/attention/self/query/MatMul</c>), so the graph reads like the model it came from.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<(ParameterSet, string), string> _parameters = [];

    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; }

    public OnnxGraphBuilder(string name) => Graph = new GraphProto { Name = name };

    /// <summary>
    /// Adds a node <c>{scope}/{opType}</c> whose single output is <c>{scope}/{opType}_output_0</c>; returns the output name.
    /// </summary>
    public string Node(string scope, string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        NodeMulti(scope, opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs; returns their names.</summary>
    public string[] NodeMulti(string scope, string opType, IEnumerable<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        string name = Unique($"{scope}/{opType}");
        var node = new NodeProto { Name = name, OpType = opType };
        node.Input.AddRange(inputs);
        var outputs = Enumerable.Range(0, outputCount).Select(i => $"{name}_output_{i}").ToArray();
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputs;
    }

    /// <summary>A float initializer named <paramref name="name"/> with the given values and shape.</summary>
    public string Initializer(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this machine is not");
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An int64 scalar initializer named <paramref name="name"/> (the default of an input of that name).</summary>
    public string Int64Initializer(string name, long value) => Int64Tensor(name, [value], []);

    /// <summary>The parameter <paramref name="key"/> of <paramref name="parameters"/> as an initializer under its Hugging Face key (added once, then shared).</summary>
    public string Parameter(ParameterSet parameters, string key)
    {
        if (_parameters.TryGetValue((parameters, key), out var name)) return name;
        var info = parameters.Info(key);
        return _parameters[(parameters, key)] = Initializer(key, parameters.Span(info), info.Shape.Select(d => (long)d).ToArray());
    }

    /// <summary>
    /// The weight <c>[out, in]</c> of the Linear layer <paramref name="linear"/> as a <c>[in, out]</c> initializer named
    /// <c>{linear}.weight.transposed</c>, ready for <c>MatMul(x, W^T)</c>.
    /// </summary>
    public string TransposedWeight(ParameterSet parameters, string linear)
    {
        if (_parameters.TryGetValue((parameters, linear + ".weight^T"), out var name)) return name;
        var info = parameters.Info(linear + ".weight");
        int rows = info.Shape[0], cols = info.Shape[1];
        var w = parameters.Span(info);
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return _parameters[(parameters, linear + ".weight^T")] = Initializer(linear + ".weight.transposed", t, cols, rows);
    }

    /// <summary>A shared float scalar (rank 0) constant, added once per value.</summary>
    public string Scalar(float value) =>
        Shared($"const_f32_{value:R}", name => Initializer(name, [value]));

    /// <summary>A shared 1-D int64 constant, added once per value list.</summary>
    public string Int64s(params long[] values) =>
        Shared("const_i64_" + string.Join("_", values), name => Int64Tensor(name, values, [values.Length]));

    /// <summary>A shared int64 scalar (rank 0), used as a <c>Gather</c> index that removes its axis.</summary>
    public string Int64Scalar(long value) => Shared($"const_i64_scalar_{value}", name => Int64Tensor(name, [value], []));

    private string Int64Tensor(string name, long[] values, long[] dims)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.AddRange(values);
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private string Shared(string key, Func<string, string> add)
    {
        if (!_constants.TryGetValue(key, out var name)) _constants[key] = name = add(key);
        return name;
    }

    /// <summary>A graph input: a tensor of <paramref name="elementType"/> with named (dynamic) or fixed dimensions.</summary>
    public void Input(string name, TensorProto.Types.DataType elementType, params object[] dims) => Graph.Input.Add(ValueInfo(name, elementType, dims));

    /// <summary>Declares <paramref name="value"/> a graph output, renamed to <paramref name="name"/> through an <c>Identity</c>.</summary>
    public void Output(string value, string name, TensorProto.Types.DataType elementType, params object[] dims)
    {
        var node = new NodeProto { Name = Unique($"/output/{name}/Identity"), OpType = "Identity" };
        node.Input.Add(value);
        node.Output.Add(name);
        Graph.Node.Add(node);
        Graph.Output.Add(ValueInfo(name, elementType, dims));
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"dimension {d} is neither a name nor a size"),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }

    private string Unique(string name)
    {
        if (name.Length == 0) name = "const";
        if (_names.Add(name)) return name;
        for (int i = 1; ; i++)
            if (_names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Attribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Attribute(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A <c>ConstantOfShape</c> of <paramref name="shape"/> (a 1-D int64 tensor) filled with <paramref name="value"/> (bool, float or long).</summary>
    public string Filled(string scope, string shape, object value)
    {
        var (type, bytes) = value switch
        {
            bool b => (TensorProto.Types.DataType.Bool, new[] { (byte)(b ? 1 : 0) }),
            float f => (TensorProto.Types.DataType.Float, BitConverter.GetBytes(f)),
            long l => (TensorProto.Types.DataType.Int64, BitConverter.GetBytes(l)),
            _ => throw new ArgumentException($"no ONNX fill value for {value.GetType().Name}", nameof(value)),
        };
        var t = new TensorProto { DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.Add(1);
        return Node(scope, "ConstantOfShape", [shape], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
    }
}
