using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Training;

/// <summary>
/// Random layer drop in training (LayerDrop, Fan et al. 2019; DPBERT's optional stage one): each input bypasses
/// each layer after the first with probability p, as a gate of 0 (the bypassed layer is the identity, as at
/// inference), so the backbone learns to work on the shortened paths a planner will choose. The drops are a hash
/// of (seed, layer, row), so a step can be recomputed exactly.
/// </summary>
public sealed class LayerDropHook : ITrainingLayerHook
{
    private readonly double _p;
    private ulong _seed;
    private float[] _gates = [];

    /// <summary>Drops each layer but the first with probability <paramref name="p"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1).</exception>
    public LayerDropHook(double p)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"--layer-drop {p} must be in [0, 1)");
        _p = p;
    }

    /// <summary>Draws the drops of the step whose seed is <paramref name="stepSeed"/> (call before its forward pass).</summary>
    public void Begin(ulong stepSeed) => _seed = Dropout.Hash(stepSeed, 4242);

    /// <inheritdoc/>
    public ReadOnlySpan<float> Gates(int layer, BertTrainingActivations acts, BertBatch batch)
    {
        if (layer == 0) return default;
        int b = batch.BatchSize;
        Buffers.Ensure(ref _gates, b);
        for (int r = 0; r < b; r++) _gates[r] = Dropout.Uniform(_seed, layer * b + r) >= _p ? 1f : 0f;
        return _gates.AsSpan(0, b);
    }

    /// <inheritdoc/>
    public void AfterBackward(int layer, ReadOnlySpan<float> dGates, Span<float> dInput, BertTrainingActivations acts, BertBatch batch) { }
}
