using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Onnx;

namespace DpBert.Checkpoints.Onnx;

/// <summary>
/// Reads the values of an ONNX <see cref="TensorProto"/>: from <c>raw_data</c> (little-endian bytes, what PyTorch's
/// exporter writes) or from the typed repeated fields. Tensors stored outside the file (<c>data_location</c>
/// EXTERNAL) are refused with an error naming the tensor.
/// </summary>
internal static class OnnxTensorData
{
    /// <summary>
    /// The number of elements <paramref name="t"/>'s dimensions describe: -1 when one is negative, <see cref="long.MaxValue"/>
    /// when the product does not fit (the file says what it likes; callers refuse both with the tensor's name).
    /// </summary>
    public static long ElementCount(TensorProto t)
    {
        long count = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0) return -1;
            count = d != 0 && count > long.MaxValue / d ? long.MaxValue : count * d;
        }
        return count;
    }

    /// <summary>The elements of a float32 tensor.</summary>
    public static float[] ReadFloat32(TensorProto t, OnnxGraphIndex graph) =>
        Read(t, TensorProto.Types.DataType.Float, t.FloatData, BinaryPrimitives.ReadSingleLittleEndian, graph);

    /// <summary>
    /// Checks that a float32 tensor holds as many values as its shape says, without reading them: run on every weight
    /// before the parameters are allocated, so a graph whose shapes announce more than its data holds allocates nothing.
    /// </summary>
    public static void CheckFloat32(TensorProto t, OnnxGraphIndex graph)
    {
        RequireType(t, TensorProto.Types.DataType.Float, graph);
        long count = CheckedCount(t, graph);
        long held = t.RawData.IsEmpty ? t.FloatData.Count : t.RawData.Length / sizeof(float);
        if (held != count || (!t.RawData.IsEmpty && t.RawData.Length % sizeof(float) != 0))
            throw graph.Error($"tensor \"{t.Name}\" {Shape(t)} ({count} elements) holds {(t.RawData.IsEmpty ? $"{t.FloatData.Count} values" : $"{t.RawData.Length} bytes of raw data")}");
    }

    /// <summary>The elements of a float64 tensor.</summary>
    public static double[] ReadDouble(TensorProto t, OnnxGraphIndex graph) =>
        Read(t, TensorProto.Types.DataType.Double, t.DoubleData, BinaryPrimitives.ReadDoubleLittleEndian, graph);

    /// <summary>The elements of an int64 or int32 tensor, as int64.</summary>
    public static long[] ReadInt64(TensorProto t, OnnxGraphIndex graph) =>
        t.DataType == (int)TensorProto.Types.DataType.Int32
            ? Array.ConvertAll(Read(t, TensorProto.Types.DataType.Int32, t.Int32Data, BinaryPrimitives.ReadInt32LittleEndian, graph), v => (long)v)
            : Read(t, TensorProto.Types.DataType.Int64, t.Int64Data, BinaryPrimitives.ReadInt64LittleEndian, graph);

    /// <summary><c>[384, 1536]</c>.</summary>
    public static string Shape(TensorProto t) => "[" + string.Join(", ", t.Dims) + "]";

    /// <summary>The ONNX name of a data type code (<c>FLOAT16</c>, ...).</summary>
    public static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant() : $"type {dataType}";

    private static void RequireType(TensorProto t, TensorProto.Types.DataType type, OnnxGraphIndex graph)
    {
        if (t.DataType != (int)type)
            throw graph.Error($"tensor \"{t.Name}\" has data type {TypeName(t.DataType)}; {type.ToString().ToUpperInvariant()} was expected here");
    }

    private static long CheckedCount(TensorProto t, OnnxGraphIndex graph)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw graph.Error($"tensor \"{t.Name}\" is stored in an external data file, which the importer does not read (save the model with its weights inside)");
        if (t.Dims.Any(d => d < 0)) throw graph.Error($"tensor \"{t.Name}\" has a negative dimension {Shape(t)}");
        long count = ElementCount(t);
        if (count > Array.MaxLength) throw graph.Error($"tensor \"{t.Name}\" {Shape(t)} is too large to read");
        return count;
    }

    private delegate T ReadElement<out T>(ReadOnlySpan<byte> bytes);

    /// <summary>The values of a tensor of <paramref name="type"/>, from <c>raw_data</c> when present, else from its typed field.</summary>
    private static T[] Read<T>(TensorProto t, TensorProto.Types.DataType type, IReadOnlyList<T> typed, ReadElement<T> read, OnnxGraphIndex graph) where T : unmanaged
    {
        RequireType(t, type, graph);
        long count = CheckedCount(t, graph);
        if (!t.RawData.IsEmpty) return FromRaw(t, count, System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), read, graph);
        if (typed.Count != count) throw graph.Error($"tensor \"{t.Name}\": {typed.Count} values for shape {Shape(t)} ({count} elements)");
        return typed.ToArray();
    }

    private static T[] FromRaw<T>(TensorProto t, long count, int size, ReadElement<T> read, OnnxGraphIndex graph) where T : unmanaged
    {
        var raw = t.RawData.Span;
        if (raw.Length != count * size)
            throw graph.Error($"tensor \"{t.Name}\" {Shape(t)}: raw data holds {raw.Length} bytes, {count * size} expected");
        if (BitConverter.IsLittleEndian) return MemoryMarshal.Cast<byte, T>(raw).ToArray();
        var values = new T[count];
        for (int i = 0; i < values.Length; i++) values[i] = read(raw.Slice(i * size, size));
        return values;
    }
}
