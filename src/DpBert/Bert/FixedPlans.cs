namespace DpBert.Bert;

/// <summary>
/// A policy fixed before the pass starts: one <see cref="LayerPlan"/> per row, or the same plan for every row
/// (static depth, a model without some layers).
/// </summary>
public sealed class FixedPlans : IEncoderPolicy
{
    private readonly IReadOnlyList<LayerPlan>? _perRow;
    private readonly LayerPlan? _shared;

    /// <summary>One plan per row of the batch.</summary>
    public FixedPlans(IReadOnlyList<LayerPlan> perRow) => _perRow = perRow;

    /// <summary>The same plan for every row.</summary>
    public FixedPlans(LayerPlan forEveryRow) => _shared = forEveryRow;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The number of plans or a plan's length does not match the batch and the model.</exception>
    public void AtBoundary(EncoderState state)
    {
        if (state.CurrentLayer != 0) return;
        int b = state.BatchSize, layers = state.LayerCount;
        if (_perRow is not null && _perRow.Count != b) throw new ArgumentException($"{_perRow.Count} layer plans for a batch of {b} inputs");
        for (int r = 0; r < b; r++)
        {
            var plan = _shared ?? _perRow![r];
            if (plan.LayerCount != layers) throw new ArgumentException($"plan {r} covers {plan.LayerCount} layers; the model has {layers}");
            for (int l = 0; l < layers; l++) state.SetRuns(r, l, plan.Runs(l));
        }
    }
}
