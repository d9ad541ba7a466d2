namespace DpBert.Bert;

/// <summary>
/// Which encoder layers run for one input: what DPBERT's planner decides before the planned layers execute,
/// the first layers an early exit ran, or the first m layers of static depth. A bypassed layer is the identity
/// on the hidden state.
/// </summary>
public sealed record LayerPlan
{
    private readonly bool[] _runs;

    /// <summary>Creates a plan from one flag per layer (true = the layer runs).</summary>
    /// <exception cref="ArgumentException">The plan is empty.</exception>
    public LayerPlan(IEnumerable<bool> runs)
    {
        _runs = runs.ToArray();
        if (_runs.Length == 0) throw new ArgumentException("a layer plan needs at least one layer", nameof(runs));
    }

    /// <summary>A plan that runs every one of <paramref name="layers"/> layers.</summary>
    public static LayerPlan Full(int layers) => new(Enumerable.Repeat(true, layers));

    /// <summary>A plan that runs the first <paramref name="depth"/> of <paramref name="layers"/> layers (static depth).</summary>
    public static LayerPlan FirstLayers(int layers, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, layers);
        return new(Enumerable.Range(0, layers).Select(i => i < depth));
    }

    /// <summary>Parses a plan written as <c>1101...</c> (1 = runs).</summary>
    /// <exception cref="FormatException">A character other than 0 or 1; the message names its position.</exception>
    public static LayerPlan Parse(string text)
    {
        for (int i = 0; i < text.Length; i++)
            if (text[i] is not ('0' or '1')) throw new FormatException($"layer plan \"{text}\": character {i + 1} is '{text[i]}', expected 0 or 1");
        return new(text.Select(c => c == '1'));
    }

    /// <summary>Number of layers the plan covers.</summary>
    public int LayerCount => _runs.Length;

    /// <summary>Number of layers that run.</summary>
    public int ExecutedCount => _runs.Count(r => r);

    /// <summary>True when layer <paramref name="layer"/> runs.</summary>
    public bool Runs(int layer) => _runs[layer];

    /// <summary>The plan as <c>1101...</c>.</summary>
    public override string ToString() => new(_runs.Select(r => r ? '1' : '0').ToArray());

    /// <inheritdoc/>
    public bool Equals(LayerPlan? other) => other is not null && _runs.AsSpan().SequenceEqual(other._runs);

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
