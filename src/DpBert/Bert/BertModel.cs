using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// Hugging Face's <c>BertModel</c>: embeddings, <see cref="BertConfig.NumHiddenLayers"/> post-LN layers and the
/// pooler, reading its weights from a <see cref="ParameterSet"/> under the keys of
/// <see cref="BertParameterLayout.Encoder"/>. Inference reuses internal buffers, so one instance must not
/// run on two threads at once.
/// </summary>
public sealed class BertModel
{
    private readonly BertConfig _config;

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

    /// <summary>Binds to the parameters under <paramref name="prefix"/> (<c>bert.</c> inside task models).</summary>
    public BertModel(ParameterSet parameters, BertConfig config, string prefix = "bert.")
    {
        _config = config;
        Embeddings = new BertEmbeddings(parameters, config, prefix);
        Layers = Enumerable.Range(0, config.NumHiddenLayers).Select(i => new BertLayer(parameters, config, i, prefix)).ToArray();
        Pooler = parameters.Contains(prefix + "pooler.dense.weight") ? new BertPooler(parameters, config, prefix) : null;
        Activations = new BertActivations(config);
    }

    /// <summary>
    /// Runs embeddings and the layers selected by <paramref name="runLayer"/> (all when null) over the batch;
    /// the last hidden state is left in <see cref="BertActivations.Hidden"/> and the pooled output in
    /// <see cref="BertActivations.Pooled"/>. A layer that is not run is the identity.
    /// </summary>
    /// <param name="batch">Input, validated against the configuration here.</param>
    /// <param name="hiddenStates">When not null, receives a copy of the embedding output and of every layer's output, (B*S, H) each.</param>
    /// <param name="runLayer">Optional per-layer switch.</param>
    /// <param name="pool">False skips the pooler (callers that read only hidden states); <see cref="BertActivations.Pooled"/> is then left as it was.</param>
    public void Forward(BertBatch batch, List<float[]>? hiddenStates = null, Func<int, bool>? runLayer = null, bool pool = true)
    {
        batch.Validate(_config);
        int b = batch.BatchSize, s = batch.SequenceLength, h = _config.HiddenSize, t = batch.TokenCount;
        var ws = Activations;
        ws.EnsureCapacity(b, s);
        for (int i = 0; i < t; i++) ws.AdditiveMask[i] = batch.AttentionMask[i] == 1 ? 0f : float.MinValue;
        Embeddings.Forward(ws.Hidden.AsSpan(0, t * h), batch);
        hiddenStates?.Add(ws.Hidden.AsSpan(0, t * h).ToArray());
        foreach (var layer in Layers)
        {
            if (runLayer is null || runLayer(layer.Index)) layer.Forward(ws, b, s);
            hiddenStates?.Add(ws.Hidden.AsSpan(0, t * h).ToArray());
        }
        if (pool) Pooler?.Forward(ws.Pooled, ws.Hidden, b, s);
    }

    /// <summary>
    /// Training forward (dropout on, as configured): saves what the backward pass needs in
    /// <paramref name="acts"/>; the sequence output is <see cref="BertTrainingActivations.SequenceOutput"/> and
    /// the pooled output <see cref="BertTrainingActivations.Pooled"/>. Masks derive from <paramref name="seed"/>.
    /// </summary>
    public void ForwardTraining(BertBatch batch, BertTrainingActivations acts, ulong seed)
    {
        batch.Validate(_config);
        int b = batch.BatchSize, s = batch.SequenceLength, t = batch.TokenCount;
        acts.EnsureCapacity(b, s);
        for (int i = 0; i < t; i++) acts.AdditiveMask[i] = batch.AttentionMask[i] == 1 ? 0f : float.MinValue;
        Embeddings.ForwardTraining(acts, batch, _config.HiddenDropoutProb, Dropout.Hash(seed, 0));
        float[] x = acts.EmbeddingOutput;
        for (int l = 0; l < Layers.Count; l++)
        {
            Layers[l].ForwardTraining(acts.Layers[l], x, acts.AdditiveMask, b, s, Dropout.Hash(seed, (ulong)l + 1));
            x = acts.Layers[l].Output;
        }
        Pooler?.Forward(acts.Pooled, x, b, s);
    }

    /// <summary>
    /// Backward of <see cref="ForwardTraining"/>. <paramref name="dPooled"/> (B, H) and, optionally,
    /// <paramref name="dSequence"/> (T, H) are the gradients of the outputs; both are consumed.
    /// Parameter gradients accumulate into <paramref name="grads"/>.
    /// </summary>
    public void Backward(ParameterSet grads, BertTrainingActivations acts, BertBatch batch, float[]? dPooled, float[]? dSequence = null)
    {
        int b = batch.BatchSize, s = batch.SequenceLength, t = batch.TokenCount, h = _config.HiddenSize;
        float[] dy = acts.GradA, dx = acts.GradB;
        var dyTokens = dy.AsSpan(0, t * h);
        if (dSequence is not null) dSequence.AsSpan(0, t * h).CopyTo(dyTokens); else dyTokens.Clear();
        float[] last = acts.SequenceOutput;
        if (dPooled is not null && Pooler is not null) Pooler.Backward(dyTokens, grads, dPooled, acts.Pooled, last, b, s);
        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            float[] input = l == 0 ? acts.EmbeddingOutput : acts.Layers[l - 1].Output;
            dx.AsSpan(0, t * h).Clear();
            Layers[l].Backward(dx, dy, grads, acts.Layers[l], input, b, s);
            (dy, dx) = (dx, dy);
        }
        Embeddings.Backward(grads, dy, dx, acts, batch, _config.HiddenDropoutProb);
    }
}
