using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tensors;

namespace DpBert.EarlyExit;

/// <summary>
/// Forward and backward of exit-head training. DeeBERT: the backbone runs without dropout and without
/// gradients (frozen); each own head is trained on its layer's output, the losses summed. PABEE: the backbone
/// trains with its heads; the loss is <c>sum_j j * L_j / sum_j j</c> over layers j = 1..L, and each head's
/// gradient enters the encoder's backward pass at its layer.
/// </summary>
public sealed class ExitTrainingStep
{
    private readonly BertForSequenceClassification _model;
    private readonly ExitHeads _heads;
    private readonly GatedEncoder _encoder;
    private readonly BertTrainingActivations _acts;
    private readonly List<float[]> _states = [];
    private float[][] _pooled = [], _dropped = [];

    /// <summary>Prepares steps for a backbone and its heads.</summary>
    public ExitTrainingStep(BertForSequenceClassification model, ExitHeads heads)
    {
        _model = model;
        _heads = heads;
        _encoder = new GatedEncoder(model.Bert);
        _acts = new BertTrainingActivations(model.Config);
    }

    /// <summary>One step; returns the (weighted) loss. Gradients accumulate into <paramref name="headGrads"/> and, for PABEE, <paramref name="backboneGrads"/>.</summary>
    public float ForwardBackward(BertBatch batch, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ParameterSet headGrads, ParameterSet? backboneGrads, ulong seed)
    {
        var config = _model.Config;
        int b = batch.BatchSize, s = batch.SequenceLength, h = config.HiddenSize, t = b * s, layers = config.NumHiddenLayers;
        EnsureBuffers(b * h);
        if (_heads.Method == EarlyExitMethod.DeeBert)
        {
            _states.Clear();
            _model.Bert.Forward(batch, _states);
            double total = 0;
            for (int l = 0; l < layers - 1; l++)
                total += Head(l, _states[l + 1], b, s, labels, targets, 1.0, Span<float>.Empty, headGrads, Dropout.Hash(seed, (ulong)l));
            return (float)total;
        }
        if (backboneGrads is null) throw new ArgumentNullException(nameof(backboneGrads), "PABEE trains the backbone: pass its gradient set");
        _encoder.Begin(batch, _acts, seed);
        for (int l = 0; l < layers; l++) _encoder.ForwardLayer(l, []);
        double weightSum = layers * (layers + 1) / 2.0, loss = 0;
        float[] dy = _acts.GradA, dx = _acts.GradB;
        dy.AsSpan(0, t * h).Clear();
        for (int l = layers - 1; l >= 0; l--)
        {
            loss += Head(l, _encoder.Hidden(l), b, s, labels, targets, (l + 1) / weightSum, dy.AsSpan(0, t * h), headGrads, Dropout.Hash(seed, 5000 + (ulong)l), backboneGrads);
            _encoder.BackwardLayer(l, dy, dx, [], [], backboneGrads);
            (dy, dx) = (dx, dy);
        }
        _encoder.BackwardEmbeddings(dy, dx, backboneGrads);
        return (float)loss;
    }

    // Exit head at layer l: pooler, dropout, classifier, loss * weight; backward into the head (and into dHidden
    // and the shared pooler for PABEE). Returns the weighted loss.
    private double Head(int l, float[] hidden, int b, int s, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, double weight,
        Span<float> dHidden, ParameterSet headGrads, ulong seed, ParameterSet? backboneGrads = null)
    {
        var config = _model.Config;
        int h = config.HiddenSize, n = config.NumLabels;
        float p = config.ClassifierDropout ?? config.HiddenDropoutProb;
        var pooler = _heads.Pooler(l);
        var pooled = _pooled[0].AsSpan(0, b * h);
        var dropped = _dropped[0].AsSpan(0, b * h);
        pooler.Forward(pooled, hidden, b, s);
        pooled.CopyTo(dropped);
        Dropout.Forward(dropped, p, seed);
        var logits = new float[b * n];
        var classifier = _heads.Classifier(l);
        classifier.Forward(logits, dropped, b);
        var dLogits = new float[b * n];
        double loss = _model.TaskLoss(dLogits, logits, labels, targets, b) * weight;
        for (int i = 0; i < dLogits.Length; i++) dLogits[i] *= (float)weight;
        var classifierGrads = _heads.IsOwnHead(l) ? headGrads : backboneGrads!;
        var dPooled = new float[b * h];
        classifier.Backward(dPooled, classifierGrads, dLogits, dropped, b);
        Dropout.Backward(dPooled, p, seed);
        var poolerGrads = _heads.Method == EarlyExitMethod.DeeBert ? headGrads : backboneGrads!;
        pooler.Backward(dHidden, poolerGrads, dPooled, pooled, hidden, b, s);
        return loss;
    }

    private void EnsureBuffers(int length)
    {
        if (_pooled.Length == 0 || _pooled[0].Length < length) { _pooled = [new float[length]]; _dropped = [new float[length]]; }
    }
}
