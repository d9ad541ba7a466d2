using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.EarlyExit;

/// <summary>
/// Exit-head training as a <see cref="ITrainingObjective"/>. DeeBERT: the backbone runs without dropout and without
/// gradients (frozen, one group <c>exits</c>); each own head is trained on its layer's output, the losses summed.
/// PABEE (groups <c>exits</c> and <c>backbone</c>): the backbone trains with its heads; the loss is
/// <c>sum_j j * L_j / sum_j j</c> over layers j = 1..L, and each head's gradient enters the encoder's backward pass
/// at its layer (this class is the <see cref="ITrainingLayerHook"/> that adds it).
/// </summary>
public sealed class ExitHeadsObjective : ITrainingObjective, ITrainingLayerHook
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer? _tokenizer;
    private readonly ExitHeads _heads;
    private readonly BertTrainingActivations _acts;
    private float[] _pooled = [], _dropped = [], _dLast = [], _rows = [], _dRows = [];
    private int[] _mask = [];
    // The PABEE step being run: its targets, seed, gradients and the loss summed so far.
    private int[] _labels = [];
    private float[] _targets = [];
    private ulong _seed;
    private ParameterSet? _headGrads, _backboneGrads;
    private double _loss;

    /// <summary>Prepares training of <paramref name="heads"/> on <paramref name="model"/> (trained in place for PABEE).</summary>
    /// <param name="model">The fine-tuned backbone.</param>
    /// <param name="tokenizer">Written with the model; may be null when the objective only runs steps.</param>
    /// <param name="heads">The exit heads.</param>
    /// <param name="options">Learning rates of heads and backbone.</param>
    public ExitHeadsObjective(BertForSequenceClassification model, BertTokenizer? tokenizer, ExitHeads heads, ExitTrainingOptions? options = null)
    {
        _model = model;
        _tokenizer = tokenizer;
        _heads = heads;
        _acts = new BertTrainingActivations(model.Config);
        var o = options ?? new ExitTrainingOptions();
        var groups = new List<ParameterGroup> { new("exits", heads.Parameters, new AdamWOptions(o.HeadLearningRate, 0.9, 0.999, 1e-8, 0.0), EarlyExitFolder.HeadsFileName) };
        if (heads.Method == EarlyExitMethod.Pabee)
            groups.Add(new("backbone", model.Parameters, new AdamWOptions(o.BackboneLearningRate, 0.9, 0.999, 1e-8, 0.01), Checkpoints.ModelFolder.WeightsFileName));
        Groups = groups;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <inheritdoc/>
    public ObjectiveStep ForwardBackward(EncodedDataset data, int[] indices, IReadOnlyList<ParameterSet> gradients, StepContext context)
    {
        var batch = data.Batch(indices, _model.Config.PadTokenId);
        var backbone = gradients.Count > 1 ? gradients[1] : null;
        float loss = _model.IsRegression
            ? Step(batch, default, data.ScoresOf(indices), gradients[0], backbone, context.Seed)
            : Step(batch, data.LabelsOf(indices), default, gradients[0], backbone, context.Seed);
        return new ObjectiveStep(loss);
    }

    /// <summary>One step; returns the (weighted) loss. Gradients accumulate into <paramref name="headGrads"/> and, for PABEE, <paramref name="backboneGrads"/>.</summary>
    public float Step(BertBatch batch, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ParameterSet headGrads, ParameterSet? backboneGrads, ulong seed)
    {
        var config = _model.Config;
        int b = batch.BatchSize, s = batch.SequenceLength, h = config.HiddenSize, layers = config.NumHiddenLayers;
        _labels = labels.ToArray();
        _targets = targets.ToArray();
        _mask = batch.AttentionMask;
        _headGrads = headGrads;
        Buffers.Ensure(ref _pooled, b * h); Buffers.Ensure(ref _dropped, b * h);
        if (_heads.Method == EarlyExitMethod.DeeBert)
        {
            var states = new HiddenStateRecorder();
            _model.Bert.Forward(batch, states);
            double total = 0;
            for (int l = 0; l < layers - 1; l++)
                total += Head(l, states.States[l + 1], b, s, 1.0, Span<float>.Empty, Dropout.Hash(seed, (ulong)l));
            return (float)total;
        }
        _backboneGrads = backboneGrads ?? throw new ArgumentNullException(nameof(backboneGrads), "PABEE trains the backbone: pass its gradient set");
        _seed = seed;
        _model.Bert.ForwardTraining(batch, _acts, seed);
        Buffers.Ensure(ref _dLast, b * s * h);
        _dLast.AsSpan(0, b * s * h).Clear();
        _loss = Head(layers - 1, _acts.Hidden(layers - 1), b, s, Weight(layers - 1), _dLast.AsSpan(0, b * s * h), Dropout.Hash(seed, 5000 + (ulong)(layers - 1)));
        _model.Bert.Backward(backboneGrads, _acts, batch, dPooled: null, dSequence: _dLast, hook: this);
        return (float)_loss;
    }

    /// <inheritdoc/>
    public void WriteModel(string folder) =>
        EarlyExitFolder.WriteFiles(folder, _model, _tokenizer ?? throw new InvalidOperationException("no tokenizer to write with the model"), _heads);

    // PABEE's weight of the head after layer l (0-based): (l + 1) / sum_j j.
    private double Weight(int layer) => (layer + 1) / (_model.Config.NumHiddenLayers * (_model.Config.NumHiddenLayers + 1) / 2.0);

    ReadOnlySpan<float> ITrainingLayerHook.Gates(int layer, BertTrainingActivations acts, BertBatch batch) => default;

    /// <summary>PABEE: once layer l is back-propagated, the head after layer l - 1 adds its gradient to that hidden state.</summary>
    void ITrainingLayerHook.AfterBackward(int layer, ReadOnlySpan<float> dGates, Span<float> dInput, BertTrainingActivations acts, BertBatch batch)
    {
        if (layer == 0) return;
        _loss += Head(layer - 1, acts.Hidden(layer - 1), batch.BatchSize, batch.SequenceLength, Weight(layer - 1), dInput, Dropout.Hash(_seed, 5000 + (ulong)(layer - 1)));
    }

    // Exit head at layer l: its input ([CLS] or the tokens' mean), pooler, dropout, classifier, loss * weight; backward
    // into the head (and into dHidden and the shared pooler for PABEE). Returns the weighted loss.
    private double Head(int l, float[] hidden, int b, int s, double weight, Span<float> dHidden, ulong seed)
    {
        var config = _model.Config;
        int h = config.HiddenSize, n = config.NumLabels;
        float p = config.ClassifierDropout ?? config.HiddenDropoutProb;
        var pooler = _heads.Pooler(l);
        var pooled = _pooled.AsSpan(0, b * h);
        var dropped = _dropped.AsSpan(0, b * h);
        Buffers.Ensure(ref _rows, b * h); Buffers.Ensure(ref _dRows, b * h);
        var rows = _rows.AsSpan(0, b * h);
        _heads.Summarize(rows, hidden, _mask, l, b, s);
        pooler.Forward(pooled, rows, b, seqLen: 1);
        pooled.CopyTo(dropped);
        Dropout.Forward(dropped, p, seed);
        var logits = new float[b * n];
        var classifier = _heads.Classifier(l);
        classifier.Forward(logits, dropped, b);
        var dLogits = new float[b * n];
        double loss = _model.TaskLoss(dLogits, logits, _labels, _targets, b) * weight;
        for (int i = 0; i < dLogits.Length; i++) dLogits[i] *= (float)weight;
        var classifierGrads = _heads.IsOwnHead(l) ? _headGrads! : _backboneGrads!;
        var dPooled = new float[b * h];
        classifier.Backward(dPooled, classifierGrads, dLogits, dropped, b);
        Dropout.Backward(dPooled, p, seed);
        var poolerGrads = _heads.Method == EarlyExitMethod.DeeBert ? _headGrads! : _backboneGrads!;
        var dRows = _dRows.AsSpan(0, b * h);
        dRows.Clear();
        pooler.Backward(dHidden.IsEmpty ? Span<float>.Empty : dRows, poolerGrads, dPooled, pooled, rows, b, seqLen: 1);
        if (!dHidden.IsEmpty) TokenPoolings.Backward(_heads.InputOf(l), dHidden, dRows, _mask, b, s, h);
        return loss;
    }
}
