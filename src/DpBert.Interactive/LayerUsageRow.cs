namespace DpBert.Interactive;

/// <summary>One row of a layer-usage heatmap.</summary>
/// <param name="Group">The label, the length bucket (such as <c>16-31 tokens</c>) or <c>all inputs</c>.</param>
/// <param name="Count">Inputs in the group.</param>
/// <param name="RunCounts">Per layer: how many of those inputs ran it.</param>
public sealed record LayerUsageRow(string Group, int Count, IReadOnlyList<int> RunCounts)
{
    /// <summary>Fraction of the group's inputs that ran <paramref name="layer"/>.</summary>
    public double Usage(int layer) => Count == 0 ? 0 : (double)RunCounts[layer] / Count;
}
