namespace DpBert.Bert;

/// <summary>One named tensor inside a <see cref="ParameterSet"/>: its Hugging Face key, offset and shape.</summary>
/// <param name="Name">The Hugging Face key, e.g. <c>bert.encoder.layer.3.attention.self.query.weight</c>.</param>
/// <param name="Offset">Index of the first element in the flat block.</param>
/// <param name="Shape">Dimensions, row-major; Linear weights are <c>[out, in]</c> as Hugging Face stores them.</param>
public sealed record ParameterInfo(string Name, long Offset, int[] Shape)
{
    /// <summary>Number of elements.</summary>
    public int Length { get; } = Shape.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>The shape as text, e.g. <c>[768, 3072]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// All parameters of a model in one flat float block with a table of <c>(key, offset, shape)</c>.
/// Gradients and optimizer state use parallel blocks with the same table, so zeroing, clipping and
/// the optimizer step are single loops.
/// </summary>
public sealed class ParameterSet
{
    private readonly Dictionary<string, ParameterInfo> _byName;

    /// <summary>The flat block: every parameter, in table order.</summary>
    public float[] Data { get; }

    /// <summary>The table, in storage order.</summary>
    public IReadOnlyList<ParameterInfo> Parameters { get; }

    /// <summary>
    /// Incremented whenever the values change through <see cref="MarkChanged"/>, so derived data
    /// (packed GEMM weights) knows when to rebuild.
    /// </summary>
    public int Version { get; private set; }

    /// <summary>Creates a zeroed block for the given names and shapes, laid out in the given order.</summary>
    /// <exception cref="ArgumentException">A name appears twice or a dimension is not positive.</exception>
    public ParameterSet(IEnumerable<(string Name, int[] Shape)> layout)
    {
        var list = new List<ParameterInfo>();
        _byName = new Dictionary<string, ParameterInfo>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, shape) in layout)
        {
            if (shape.Any(d => d <= 0)) throw new ArgumentException($"parameter {name}: shape [{string.Join(", ", shape)}] has a non-positive dimension");
            var info = new ParameterInfo(name, offset, shape);
            if (!_byName.TryAdd(name, info)) throw new ArgumentException($"parameter {name} is declared twice");
            list.Add(info);
            offset += info.Length;
        }
        if (offset > Array.MaxLength) throw new ArgumentException($"{offset} parameters do not fit one array");
        Parameters = list;
        Data = new float[offset];
    }

    private ParameterSet(ParameterSet like)
    {
        _byName = like._byName;
        Parameters = like.Parameters;
        Data = new float[like.Data.Length];
    }

    /// <summary>A zeroed block with the same table (for gradients or optimizer moments).</summary>
    public ParameterSet CreateLike() => new(this);

    /// <summary>Total number of scalar parameters.</summary>
    public long Count => Data.LongLength;

    /// <summary>True when the table has <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The table entry for <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such parameter; the message names it.</exception>
    public ParameterInfo Info(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"no parameter named {name}");

    /// <summary>The values of parameter <paramref name="name"/>.</summary>
    public Span<float> Span(string name)
    {
        var info = Info(name);
        return Data.AsSpan((int)info.Offset, info.Length);
    }

    /// <summary>The values of a table entry.</summary>
    public Span<float> Span(ParameterInfo info) => Data.AsSpan((int)info.Offset, info.Length);

    /// <summary>Records that values were changed, invalidating derived caches.</summary>
    public void MarkChanged() => Version++;
}
