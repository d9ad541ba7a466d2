using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// Hugging Face's <c>BertModel</c>: embeddings, <see cref="BertConfig.NumHiddenLayers"/> post-LN layers and the
/// pooler, reading its weights from a <see cref="ParameterSet"/> under the keys of
/// <see cref="BertParameterLayout.Encoder"/>. This is where the layer loops are: <see cref="Forward"/> for
/// inference (every method's, with a per-row policy between layers) and <see cref="ForwardTraining"/> /
/// <see cref="Backward"/> for training (with an optional hook that gates layers per row). Inference reuses
/// internal buffers, so one instance must not run on two threads at once.
/// </summary>
public sealed class BertModel
{
    private readonly BertConfig _config;
    private readonly EncoderState _state = new();
    private readonly BertActivations _rows;   // the selected rows of a layer that not every row runs
    private int[] _selected = [];
    private int[] _attentionMask = [];   // of the last Forward, for a pooler that reads the mean of the tokens

    /// <summary>The configuration.</summary>
    public BertConfig Config => _config;
    /// <summary>The embeddings block.</summary>
    public BertEmbeddings Embeddings { get; }
    /// <summary>The encoder layers, in order.</summary>
    public IReadOnlyList<BertLayer> Layers { get; }
    /// <summary>The pooler; null for models without one (<c>BertForMaskedLM</c>).</summary>
    public BertPooler? Pooler { get; }
    /// <summary>The inference buffers.</summary>
    public BertActivations Activations { get; }
    /// <summary>
    /// Arithmetic of the encoder's Linear layers in <see cref="Forward"/> (fp32 by default; see
    /// <see cref="InferencePrecision"/>). Training is always fp32.
    /// </summary>
    public InferencePrecision Precision { get; set; }

    /// <summary>Binds to the parameters under <paramref name="prefix"/> (<c>bert.</c> inside task models).</summary>
    public BertModel(ParameterSet parameters, BertConfig config, string prefix = "bert.")
    {
        _config = config;
        Embeddings = new BertEmbeddings(parameters, config, prefix);
        Layers = Enumerable.Range(0, config.NumHiddenLayers).Select(i => new BertLayer(parameters, config, i, prefix)).ToArray();
        Pooler = parameters.Contains(prefix + "pooler.dense.weight") ? new BertPooler(parameters, config, prefix) : null;
        Activations = new BertActivations(config);
        _rows = new BertActivations(config);
    }

    /// <summary>
    /// The inference pass: embeddings, then each layer on the rows that run it (all rows, or those
    /// <paramref name="policy"/> selects between layers; a bypassed layer is the identity and a stopped row keeps
    /// its state). A layer that only some rows run is computed on those rows alone, gathered into a buffer of
    /// their own, so skipping saves time at batch 1 and in batches alike. The last hidden states are left in
    /// <see cref="BertActivations.Hidden"/>; the pooler is not run (see <see cref="Pool"/>).
    /// </summary>
    /// <param name="batch">Input, validated against the configuration here.</param>
    /// <param name="policy">Decides between layers which rows run which layers; null runs every layer.</param>
    /// <returns>The state at the end of the pass: hidden states and the layers each row ran.</returns>
    public EncoderState Forward(BertBatch batch, IEncoderPolicy? policy = null)
    {
        batch.Validate(_config);
        int b = batch.BatchSize, s = batch.SequenceLength, t = batch.TokenCount, layers = _config.NumHiddenLayers;
        var ws = Activations;
        ws.EnsureCapacity(b, s);
        for (int i = 0; i < t; i++) ws.AdditiveMask[i] = batch.AttentionMask[i] == 1 ? 0f : float.MinValue;
        _attentionMask = batch.AttentionMask;
        Embeddings.Forward(ws.Hidden.AsSpan(0, t * _config.HiddenSize), batch);
        _state.Begin(ws, batch, layers, _config.HiddenSize);
        for (int l = 0; ; l++)
        {
            _state.CurrentLayer = l;
            policy?.AtBoundary(_state);
            if (l == layers) return _state;
            RunLayer(l, b, s);
        }
    }

    /// <summary>Runs layer <paramref name="layer"/> in place on the rows that run it; the only place rows are gathered.</summary>
    private void RunLayer(int layer, int b, int s)
    {
        if (_selected.Length < b) _selected = new int[b];
        int n = 0;
        for (int r = 0; r < b; r++) if (_state.Runs(r, layer)) _selected[n++] = r;
        if (n == 0) return;
        var ws = Activations;
        if (n == b)
        {
            Layers[layer].Forward(ws, b, s, Precision);
            return;
        }
        int rowSize = s * _config.HiddenSize;
        _rows.EnsureCapacity(n, s);
        for (int i = 0; i < n; i++)
        {
            ws.Hidden.AsSpan(_selected[i] * rowSize, rowSize).CopyTo(_rows.Hidden.AsSpan(i * rowSize, rowSize));
            ws.AdditiveMask.AsSpan(_selected[i] * s, s).CopyTo(_rows.AdditiveMask.AsSpan(i * s, s));
        }
        Layers[layer].Forward(_rows, n, s, Precision);
        for (int i = 0; i < n; i++) _rows.Hidden.AsSpan(i * rowSize, rowSize).CopyTo(ws.Hidden.AsSpan(_selected[i] * rowSize, rowSize));
    }

    /// <summary>
    /// The pooler on the hidden states of the last <see cref="Forward"/>: <c>tanh(dense(x))</c> per row, where x is the
    /// row's [CLS] state or the mean of its real tokens (<see cref="BertConfig.PoolerInput"/>, with the attention mask of
    /// that <see cref="Forward"/>'s batch), into <see cref="BertActivations.Pooled"/> (B, H).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no pooler.</exception>
    public ReadOnlySpan<float> Pool(int batchSize, int seqLen)
    {
        var pooler = Pooler ?? throw new InvalidOperationException("this model has no pooler (bert.pooler.dense.*)");
        var (input, rowsPerInput) = PoolerInputRows(Activations.Hidden, Activations.PoolerInput, _attentionMask, batchSize, seqLen);
        pooler.Forward(Activations.Pooled, input, batchSize, rowsPerInput);
        return Activations.Pooled.AsSpan(0, batchSize * _config.HiddenSize);
    }

    /// <summary>
    /// The pooler on the sequence output of the last <see cref="ForwardTraining"/> (as <see cref="Pool"/>), into
    /// <see cref="BertTrainingActivations.Pooled"/>; <see cref="Backward"/> takes its gradient.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no pooler.</exception>
    public void PoolTraining(BertTrainingActivations acts, BertBatch batch)
    {
        var pooler = Pooler ?? throw new InvalidOperationException("this model has no pooler (bert.pooler.dense.*)");
        var (input, rowsPerInput) = PoolerInputRows(acts.SequenceOutput, acts.PoolerInput, batch.AttentionMask, batch.BatchSize, batch.SequenceLength);
        pooler.Forward(acts.Pooled, input, batch.BatchSize, rowsPerInput);
    }

    // What the pooler reads, as (rows, rows per input): the hidden states themselves, whose [CLS] rows are S apart, or
    // for a mean-pooled model each input's mean of its real tokens, one row per input in buffer.
    private (float[] Rows, int RowsPerInput) PoolerInputRows(float[] hidden, float[] buffer, ReadOnlySpan<int> attentionMask, int batchSize, int seqLen)
    {
        if (_config.PoolerInput == TokenPooling.Cls) return (hidden, seqLen);
        TokenPoolings.Summarize(TokenPooling.Mean, buffer, hidden, attentionMask, batchSize, seqLen, _config.HiddenSize);
        return (buffer, 1);
    }

    /// <summary>
    /// Training forward (dropout on, as configured): saves what the backward pass needs in <paramref name="acts"/>;
    /// the sequence output is <see cref="BertTrainingActivations.SequenceOutput"/>. Masks derive from
    /// <paramref name="seed"/>. <paramref name="hook"/>, when given, may gate each layer per row; every row still
    /// computes every layer here, since a gate's gradient needs the layer's output (real skipping is
    /// <see cref="Forward"/>'s).
    /// </summary>
    public void ForwardTraining(BertBatch batch, BertTrainingActivations acts, ulong seed, ITrainingLayerHook? hook = null)
    {
        batch.Validate(_config);
        int b = batch.BatchSize, s = batch.SequenceLength, t = batch.TokenCount;
        acts.EnsureCapacity(b, s);
        for (int i = 0; i < t; i++) acts.AdditiveMask[i] = batch.AttentionMask[i] == 1 ? 0f : float.MinValue;
        Embeddings.ForwardTraining(acts, batch, _config.HiddenDropoutProb, Dropout.Hash(seed, 0));
        for (int l = 0; l < Layers.Count; l++)
        {
            var gates = hook is null ? default : hook.Gates(l, acts, batch);
            float[] input = acts.Hidden(l - 1);
            Layers[l].ForwardTraining(acts.Layers[l], input, acts.AdditiveMask, b, s, Dropout.Hash(seed, (ulong)l + 1));
            acts.Layers[l].ApplyGates(gates, input, b, s * _config.HiddenSize);
        }
    }

    /// <summary>
    /// Backward of <see cref="ForwardTraining"/>. <paramref name="dPooled"/> (B, H), the gradient of the pooled
    /// output (<see cref="BertTrainingActivations.Pooled"/>, computed by the caller's head), and
    /// <paramref name="dSequence"/> (T, H), the gradient of the sequence output, are consumed; either may be null.
    /// Parameter gradients accumulate into <paramref name="grads"/>; <paramref name="hook"/> (the one of the
    /// forward pass) receives each layer's gate gradients and adds to the gradients of the hidden states.
    /// </summary>
    public void Backward(ParameterSet grads, BertTrainingActivations acts, BertBatch batch, float[]? dPooled, float[]? dSequence = null, ITrainingLayerHook? hook = null)
    {
        int b = batch.BatchSize, s = batch.SequenceLength, t = batch.TokenCount, h = _config.HiddenSize;
        float[] dy = acts.GradA, dx = acts.GradB;
        var dyTokens = dy.AsSpan(0, t * h);
        if (dSequence is not null) dSequence.AsSpan(0, t * h).CopyTo(dyTokens); else dyTokens.Clear();
        if (dPooled is not null && Pooler is not null) BackwardPooler(dyTokens, grads, dPooled, acts, batch);
        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            var dGates = BackwardLayer(l, dx, dy, grads, acts, b, s);
            hook?.AfterBackward(l, dGates, dx.AsSpan(0, t * h), acts, batch);
            (dy, dx) = (dx, dy);
        }
        Embeddings.Backward(grads, dy, dx, acts, batch, _config.HiddenDropoutProb);
    }

    // Backward of PoolTraining: the pooled gradient (B, H) into the [CLS] rows of dHidden, or shared by the real tokens.
    private void BackwardPooler(Span<float> dHidden, ParameterSet grads, float[] dPooled, BertTrainingActivations acts, BertBatch batch)
    {
        int b = batch.BatchSize, s = batch.SequenceLength, h = _config.HiddenSize;
        if (_config.PoolerInput == TokenPooling.Cls) { Pooler!.Backward(dHidden, grads, dPooled, acts.Pooled, acts.SequenceOutput, b, s); return; }
        var dInput = acts.GradPoolerInput.AsSpan(0, b * h);
        dInput.Clear();
        Pooler!.Backward(dInput, grads, dPooled, acts.Pooled, acts.PoolerInput, b, seqLen: 1);
        TokenPoolings.Backward(TokenPooling.Mean, dHidden, dInput, batch.AttentionMask, b, s, h);
    }

    /// <summary>
    /// Backward of one layer: <paramref name="dOutput"/> (T, H) is the gradient of its (gated) output;
    /// <paramref name="dInput"/> (T, H) is overwritten with the gradient of its input. Returns the gradient of each
    /// row's gate for a gated layer (empty otherwise).
    /// </summary>
    private ReadOnlySpan<float> BackwardLayer(int layer, float[] dInput, float[] dOutput, ParameterSet grads, BertTrainingActivations acts, int b, int s)
    {
        int rowSize = s * _config.HiddenSize, t = b * s;
        var la = acts.Layers[layer];
        float[] input = acts.Hidden(layer - 1);
        dInput.AsSpan(0, t * _config.HiddenSize).Clear();
        if (!la.IsGated)
        {
            Layers[layer].Backward(dInput, dOutput, grads, la, input, b, s);
            return default;
        }
        // y = z * Layer(x) + (1 - z) * x: dz = <dy, Layer(x) - x>, the layer sees z * dy, the skip (1 - z) * dy.
        float[] dLayer = la.GradGatedBranch;
        bool anyRuns = false;
        for (int r = 0; r < b; r++)
        {
            float z = la.Gates[r];
            var dOut = dOutput.AsSpan(r * rowSize, rowSize);
            var run = la.Output.AsSpan(r * rowSize, rowSize);
            var skip = input.AsSpan(r * rowSize, rowSize);
            double dz = 0;
            for (int i = 0; i < rowSize; i++) dz += dOut[i] * (double)(run[i] - skip[i]);
            la.GradGates[r] = (float)dz;
            var dRun = dLayer.AsSpan(r * rowSize, rowSize);
            var dSkip = dInput.AsSpan(r * rowSize, rowSize);
            for (int i = 0; i < rowSize; i++) { dRun[i] = z * dOut[i]; dSkip[i] = (1 - z) * dOut[i]; }
            anyRuns |= z != 0;
        }
        if (anyRuns) Layers[layer].Backward(dInput, dLayer, grads, la, input, b, s);
        return la.GradGates.AsSpan(0, b);
    }
}
