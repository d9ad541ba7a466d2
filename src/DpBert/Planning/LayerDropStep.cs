using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Planning;

/// <summary>
/// A fine-tuning step with random layer drop (DPBERT's optional stage one): each input bypasses each layer
/// after the first with probability p (the bypassed layer is the identity, as at inference), so the backbone
/// learns to work on the shortened paths the planner will choose. The drops are a hash of (seed, row, layer).
/// </summary>
public sealed class LayerDropStep
{
    private readonly BertForSequenceClassification _model;
    private readonly GatedEncoder _encoder;
    private float[] _gates = [], _dGates = [];

    /// <summary>Prepares steps for <paramref name="model"/>.</summary>
    public LayerDropStep(BertForSequenceClassification model)
    {
        _model = model;
        _encoder = new GatedEncoder(model.Bert);
    }

    /// <summary>Forward and backward with layer drop <paramref name="p"/>; gradients accumulate into <paramref name="grads"/>. Returns the loss and logits.</summary>
    public (float Loss, float[] Logits) ForwardBackward(BertBatch batch, BertTrainingActivations acts, ParameterSet grads,
        ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ulong seed, double p)
    {
        var config = _model.Config;
        int b = batch.BatchSize, s = batch.SequenceLength, h = config.HiddenSize, t = b * s, layers = config.NumHiddenLayers;
        if (_gates.Length < b * layers) { _gates = new float[b * layers]; _dGates = new float[b]; }
        ulong dropSeed = Dropout.Hash(seed, 4242);
        _encoder.Begin(batch, acts, seed);
        for (int l = 0; l < layers; l++)
        {
            var gates = _gates.AsSpan(l * b, b);
            for (int r = 0; r < b; r++) gates[r] = l == 0 || GumbelGate.Uniform(dropSeed, l * b + r) >= p ? 1f : 0f;
            _encoder.ForwardLayer(l, l == 0 ? [] : gates);
        }
        float[] last = _encoder.Hidden(layers - 1);
        var logits = _model.HeadForwardTraining(acts, last, b, s, seed);
        var dLogits = new float[logits.Length];
        float loss = _model.TaskLoss(dLogits, logits, labels, targets, b);
        var dPooled = _model.HeadBackward(grads, dLogits, acts, b);
        float[] dy = acts.GradA, dx = acts.GradB;
        dy.AsSpan(0, t * h).Clear();
        _model.Bert.Pooler!.Backward(dy.AsSpan(0, t * h), grads, dPooled.AsSpan(0, b * h), acts.Pooled, last, b, s);
        for (int l = layers - 1; l >= 0; l--)
        {
            _encoder.BackwardLayer(l, dy, dx, l == 0 ? [] : _gates.AsSpan(l * b, b), _dGates, grads);
            (dy, dx) = (dx, dy);
        }
        _encoder.BackwardEmbeddings(dy, dx, grads);
        return (loss, logits);
    }
}
