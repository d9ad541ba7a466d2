using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Planning;

/// <summary>
/// The training pass of BERT's encoder where every input row may bypass layers: with a gate <c>z</c> per row,
/// <c>h_l = z * Layer_l(h_{l-1}) + (1 - z) * h_{l-1}</c>. A layer is driven one at a time so a planner (or an
/// exit head) can act between layers. Every row computes every layer here, since the gate's gradient needs
/// the layer's output; real skipping is an inference matter (<see cref="PlannedExecution"/>).
/// </summary>
internal sealed class GatedEncoder
{
    private readonly BertModel _bert;
    private readonly int _hidden;
    private readonly float[][] _gated;
    private readonly bool[] _isGated;
    private BertTrainingActivations _acts = null!;
    private BertBatch _batch = null!;
    private ulong _seed;
    private float[] _dy = [];

    public GatedEncoder(BertModel bert)
    {
        _bert = bert;
        _hidden = bert.Config.HiddenSize;
        _gated = new float[bert.Config.NumHiddenLayers][];
        _isGated = new bool[bert.Config.NumHiddenLayers];
        Array.Fill(_gated, []);
    }

    public BertTrainingActivations Activations => _acts;

    /// <summary>Embeddings of <paramref name="batch"/> (dropout masks from <paramref name="seed"/>, as <see cref="BertModel.ForwardTraining"/>).</summary>
    public void Begin(BertBatch batch, BertTrainingActivations acts, ulong seed)
    {
        batch.Validate(_bert.Config);
        _acts = acts;
        _batch = batch;
        _seed = seed;
        acts.EnsureCapacity(batch.BatchSize, batch.SequenceLength);
        for (int i = 0; i < batch.TokenCount; i++) acts.AdditiveMask[i] = batch.AttentionMask[i] == 1 ? 0f : float.MinValue;
        _bert.Embeddings.ForwardTraining(acts, batch, _bert.Config.HiddenDropoutProb, Dropout.Hash(seed, 0));
        Array.Clear(_isGated);
    }

    /// <summary>Hidden state after layer <paramref name="layer"/> (-1: the embeddings), (T, H).</summary>
    public float[] Hidden(int layer) =>
        layer < 0 ? _acts.EmbeddingOutput : _isGated[layer] ? _gated[layer] : _acts.Layers[layer].Output;

    /// <summary>Runs layer <paramref name="layer"/>; <paramref name="gates"/> holds one gate per row, or is empty when every row runs it.</summary>
    public void ForwardLayer(int layer, ReadOnlySpan<float> gates)
    {
        int b = _batch.BatchSize, s = _batch.SequenceLength, rowSize = s * _hidden;
        float[] input = Hidden(layer - 1);
        var la = _acts.Layers[layer];
        _bert.Layers[layer].ForwardTraining(la, input, _acts.AdditiveMask, b, s, Dropout.Hash(_seed, (ulong)layer + 1));
        _isGated[layer] = !gates.IsEmpty;
        if (gates.IsEmpty) return;
        if (gates.Length != b) throw new ArgumentException($"{gates.Length} gates for {b} rows", nameof(gates));
        if (_gated[layer].Length < b * rowSize) _gated[layer] = new float[b * rowSize];
        for (int r = 0; r < b; r++)
        {
            float z = gates[r];
            var y = _gated[layer].AsSpan(r * rowSize, rowSize);
            var run = la.Output.AsSpan(r * rowSize, rowSize);
            var skip = input.AsSpan(r * rowSize, rowSize);
            for (int i = 0; i < rowSize; i++) y[i] = z * run[i] + (1 - z) * skip[i];
        }
    }

    /// <summary>
    /// Backward of layer <paramref name="layer"/>: <paramref name="dOutput"/> (T, H) is the gradient of its (gated)
    /// output; <paramref name="dInput"/> (T, H) is overwritten with the gradient of its input; for a gated layer
    /// <paramref name="dGates"/> receives, per row, the gradient of the gate. Parameter gradients accumulate.
    /// </summary>
    public void BackwardLayer(int layer, float[] dOutput, float[] dInput, ReadOnlySpan<float> gates, Span<float> dGates, ParameterSet grads)
    {
        int b = _batch.BatchSize, s = _batch.SequenceLength, rowSize = s * _hidden, t = b * s;
        float[] input = Hidden(layer - 1);
        var la = _acts.Layers[layer];
        dInput.AsSpan(0, t * _hidden).Clear();
        if (!_isGated[layer])
        {
            _bert.Layers[layer].Backward(dInput, dOutput, grads, la, input, b, s);
            return;
        }
        if (_dy.Length < t * _hidden) _dy = new float[t * _hidden];
        bool anyRuns = false;
        for (int r = 0; r < b; r++)
        {
            float z = gates[r];
            var dOut = dOutput.AsSpan(r * rowSize, rowSize);
            var run = la.Output.AsSpan(r * rowSize, rowSize);
            var skip = input.AsSpan(r * rowSize, rowSize);
            double dz = 0;
            for (int i = 0; i < rowSize; i++) dz += dOut[i] * (double)(run[i] - skip[i]);
            dGates[r] = (float)dz;
            var dLayer = _dy.AsSpan(r * rowSize, rowSize);
            var dSkip = dInput.AsSpan(r * rowSize, rowSize);
            for (int i = 0; i < rowSize; i++) { dLayer[i] = z * dOut[i]; dSkip[i] = (1 - z) * dOut[i]; }
            anyRuns |= z != 0;
        }
        if (anyRuns) _bert.Layers[layer].Backward(dInput, _dy, grads, la, input, b, s);
    }

    /// <summary>Backward of the embeddings from the gradient of their output (consumed).</summary>
    public void BackwardEmbeddings(float[] dEmbeddings, float[] scratch, ParameterSet grads) =>
        _bert.Embeddings.Backward(grads, dEmbeddings, scratch, _acts, _batch, _bert.Config.HiddenDropoutProb);
}
