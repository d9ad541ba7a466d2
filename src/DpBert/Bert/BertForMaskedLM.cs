using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// Hugging Face's <c>BertForMaskedLM</c>: <see cref="BertModel"/> (no pooler) and the prediction head
/// <c>cls.predictions</c>: dense, GELU, LayerNorm, then a decoder tied to the word embeddings plus a bias.
/// Training computes the head only at masked positions (the loss ignores the others).
/// </summary>
public sealed class BertForMaskedLM
{
    private readonly ParameterInfo _lnWeight, _lnBias, _decoderBias, _wordEmbeddings;
    private float[] _x = [], _pre = [], _gelu = [], _normed = [], _mean = [], _rstd = [], _logits = [], _dLogits = [], _dNormed = [], _dPre = [], _dX = [], _dSequence = [];

    /// <summary>The configuration.</summary>
    public BertConfig Config { get; }
    /// <summary>All parameters under Hugging Face keys (<see cref="BertParameterLayout.MaskedLanguageModel"/>).</summary>
    public ParameterSet Parameters { get; }
    /// <summary>The encoder.</summary>
    public BertModel Bert { get; }
    /// <summary><c>cls.predictions.transform.dense</c>.</summary>
    public Linear Transform { get; }

    /// <summary>Binds to parameters laid out by <see cref="BertParameterLayout.MaskedLanguageModel"/>.</summary>
    public BertForMaskedLM(BertConfig config, ParameterSet parameters)
    {
        config.Validate();
        Config = config;
        Parameters = parameters;
        Bert = new BertModel(parameters, config);
        Transform = new Linear(parameters, "cls.predictions.transform.dense");
        _lnWeight = parameters.Info("cls.predictions.transform.LayerNorm.weight");
        _lnBias = parameters.Info("cls.predictions.transform.LayerNorm.bias");
        _decoderBias = parameters.Info("cls.predictions.bias");
        _wordEmbeddings = parameters.Info("bert.embeddings.word_embeddings.weight");
    }

    /// <summary>A model with zeroed parameters.</summary>
    public static BertForMaskedLM CreateEmpty(BertConfig config) => new(config, new ParameterSet(BertParameterLayout.MaskedLanguageModel(config)));

    /// <summary>Inference: vocabulary logits (T, V) at every position of the batch.</summary>
    public float[] Forward(BertBatch batch)
    {
        Bert.Forward(batch);
        int t = batch.TokenCount;
        var positions = Enumerable.Range(0, t).ToArray();
        HeadForward(Bert.Activations.Hidden, positions);
        return _logits.AsSpan(0, t * Config.VocabSize).ToArray();
    }

    /// <summary>
    /// One training pass: labels (T) hold the original id at masked positions and -100 elsewhere. Returns the
    /// mean cross-entropy over the masked positions; gradients (the tied embedding included) accumulate into
    /// <paramref name="grads"/>.
    /// </summary>
    public float ForwardBackward(BertBatch batch, ReadOnlySpan<int> labels, BertTrainingActivations acts, ParameterSet grads, ulong seed)
    {
        if (labels.Length != batch.TokenCount) throw new ArgumentException($"labels hold {labels.Length} values; the batch has {batch.TokenCount} tokens", nameof(labels));
        Bert.ForwardTraining(batch, acts, seed);
        var positions = new List<int>();
        for (int i = 0; i < labels.Length; i++) if (labels[i] != -100) positions.Add(i);
        if (positions.Count == 0) return 0f;
        int m = positions.Count, h = Config.HiddenSize, v = Config.VocabSize, t = batch.TokenCount;
        var masked = positions.ToArray();
        var maskedLabels = new int[m];
        for (int r = 0; r < m; r++) maskedLabels[r] = labels[masked[r]];
        HeadForward(acts.SequenceOutput, masked);

        Buffers.Ensure(ref _dLogits, m * v);
        float loss = Losses.CrossEntropy(_dLogits, _logits, maskedLabels, m, v);
        var dLogits = _dLogits.AsSpan(0, m * v);
        var embeddings = Parameters.Span(_wordEmbeddings);
        // Decoder (tied): logits (M, V) = normed (M, H) E^T (H, V) + bias
        Gemm.Multiply(grads.Span(_wordEmbeddings), h, dLogits, v, true, _normed, h, false, v, h, m, accumulate: true);
        ActivationBackward.BiasGradient(grads.Span(_decoderBias), dLogits, m, v);
        Buffers.Ensure(ref _dNormed, m * h);
        Gemm.Multiply(_dNormed, h, dLogits, v, false, embeddings, h, false, m, h, v);
        // LayerNorm, GELU, dense
        Buffers.Ensure(ref _dPre, m * h);
        _dPre.AsSpan(0, m * h).Clear();
        LayerNormBackward.Backward(_dPre, grads.Span(_lnWeight), grads.Span(_lnBias), _dNormed, _gelu, Parameters.Span(_lnWeight), _mean, _rstd, m, h);
        ActivationBackward.GeluInPlace(_dPre.AsSpan(0, m * h), _pre.AsSpan(0, m * h));
        Buffers.Ensure(ref _dX, m * h);
        _dX.AsSpan(0, m * h).Clear();
        Transform.Backward(_dX.AsSpan(0, m * h), grads, _dPre.AsSpan(0, m * h), _x, m);
        // Scatter to the sequence gradient and run the encoder backward.
        Buffers.Ensure(ref _dSequence, t * h);
        _dSequence.AsSpan(0, t * h).Clear();
        for (int r = 0; r < m; r++) _dX.AsSpan(r * h, h).CopyTo(_dSequence.AsSpan(masked[r] * h, h));
        Bert.Backward(grads, acts, batch, dPooled: null, dSequence: _dSequence);
        return loss;
    }

    /// <summary>The head at the given token positions of <paramref name="hidden"/> (T, H); logits land in <c>_logits</c> (M, V).</summary>
    private void HeadForward(float[] hidden, int[] positions)
    {
        int m = positions.Length, h = Config.HiddenSize, v = Config.VocabSize;
        Buffers.Ensure(ref _x, m * h); Buffers.Ensure(ref _pre, m * h); Buffers.Ensure(ref _gelu, m * h); Buffers.Ensure(ref _normed, m * h);
        Buffers.Ensure(ref _mean, m); Buffers.Ensure(ref _rstd, m); Buffers.Ensure(ref _logits, m * v);
        for (int r = 0; r < m; r++) hidden.AsSpan(positions[r] * h, h).CopyTo(_x.AsSpan(r * h, h));
        Transform.Forward(_pre, _x, m);
        Gelu.Forward(_gelu.AsSpan(0, m * h), _pre.AsSpan(0, m * h));
        LayerNorm.Forward(_normed, _mean, _rstd, _gelu, Parameters.Span(_lnWeight), Parameters.Span(_lnBias), m, h, Config.LayerNormEps);
        Gemm.Multiply(_logits, v, _normed, h, false, Parameters.Span(_wordEmbeddings), h, true, m, v, h, bias: Parameters.Span(_decoderBias));
    }
}
