namespace DpBert.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's key, e.g. <c>bert.pooler.dense.weight</c>.</param>
/// <param name="Dtype">Element type.</param>
/// <param name="Shape">Dimensions, row-major; empty for a scalar.</param>
/// <param name="DataBegin">First byte, relative to the start of the data buffer (after the header).</param>
/// <param name="DataEnd">One past the last byte, relative to the start of the data buffer.</param>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDtype Dtype, IReadOnlyList<long> Shape, long DataBegin, long DataEnd)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; } = Shape.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>Bytes the tensor occupies: <c>DataEnd - DataBegin</c>.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>The shape as text, e.g. <c>[768, 3072]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>True when the shape equals <paramref name="shape"/> dimension by dimension.</summary>
    public bool HasShape(ReadOnlySpan<int> shape)
    {
        if (shape.Length != Shape.Count) return false;
        for (int d = 0; d < shape.Length; d++)
            if (Shape[d] != shape[d]) return false;
        return true;
    }

    /// <summary>Formats dimensions as <c>[a, b, c]</c>.</summary>
    internal static string FormatShape<T>(IEnumerable<T> shape) => "[" + string.Join(", ", shape) + "]";
}
