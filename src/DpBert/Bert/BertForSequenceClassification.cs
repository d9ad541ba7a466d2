namespace DpBert.Bert;

/// <summary>
/// Hugging Face's <c>BertForSequenceClassification</c>: <see cref="BertModel"/> under <c>bert.</c> and a
/// Linear <c>classifier</c> on the pooled output. <c>num_labels == 1</c> is regression (STS-B).
/// </summary>
public sealed class BertForSequenceClassification
{
    /// <summary>The configuration.</summary>
    public BertConfig Config { get; }
    /// <summary>All parameters, under Hugging Face keys (<see cref="BertParameterLayout.SequenceClassification"/>).</summary>
    public ParameterSet Parameters { get; }
    /// <summary>The encoder.</summary>
    public BertModel Bert { get; }
    /// <summary>The classification head <c>[num_labels, H]</c>.</summary>
    public Linear Classifier { get; }
    /// <summary>True for a regression head (<c>num_labels == 1</c>).</summary>
    public bool IsRegression => Config.NumLabels == 1;

    /// <summary>Binds a model to existing parameters laid out by <see cref="BertParameterLayout.SequenceClassification"/>.</summary>
    public BertForSequenceClassification(BertConfig config, ParameterSet parameters)
    {
        config.Validate();
        Config = config;
        Parameters = parameters;
        Bert = new BertModel(parameters, config);
        Classifier = new Linear(parameters, "classifier");
    }

    /// <summary>A model with zeroed parameters (to be loaded or initialised).</summary>
    public static BertForSequenceClassification CreateEmpty(BertConfig config) =>
        new(config, new ParameterSet(BertParameterLayout.SequenceClassification(config)));

    /// <summary>
    /// A copy of the model keeping only its first <paramref name="depth"/> encoder layers (embeddings, those layers,
    /// pooler and classifier copied): the starting point of a static-depth model fine-tuned at that depth.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is not in [1, L].</exception>
    public BertForSequenceClassification FirstLayers(int depth)
    {
        if (depth < 1 || depth > Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(depth), $"depth {depth} must be in [1, {Config.NumHiddenLayers}]");
        var copy = CreateEmpty(Config with { NumHiddenLayers = depth });
        foreach (var p in copy.Parameters.Parameters) Parameters.Span(p.Name).CopyTo(copy.Parameters.Span(p));
        copy.Parameters.MarkChanged();
        return copy;
    }

    /// <summary>Runs the model and returns the logits (B, num_labels), row-major.</summary>
    /// <param name="batch">The input.</param>
    /// <param name="policy">Which rows run which layers (see <see cref="BertModel.Forward"/>); null runs every layer.</param>
    public float[] Forward(BertBatch batch, IEncoderPolicy? policy = null)
    {
        Bert.Forward(batch, policy);
        return Head(batch.BatchSize, batch.SequenceLength);
    }

    /// <summary>Pooler and classifier on the hidden states of the last <see cref="BertModel.Forward"/>: logits (B, num_labels).</summary>
    public float[] Head(int batchSize, int seqLen)
    {
        var pooled = Bert.Pool(batchSize, seqLen);
        var logits = new float[batchSize * Config.NumLabels];
        Classifier.Forward(logits, pooled, batchSize);
        return logits;
    }

    /// <summary>The pooled output of the last <see cref="Forward"/> call (B, H).</summary>
    public ReadOnlySpan<float> LastPooledOutput(int batchSize) => Bert.Activations.Pooled.AsSpan(0, batchSize * Config.HiddenSize);

    /// <summary>Softmax over each row of logits (classification); regression logits are returned unchanged.</summary>
    public float[] Probabilities(float[] logits)
    {
        if (IsRegression) return (float[])logits.Clone();
        int n = Config.NumLabels;
        var p = new float[logits.Length];
        for (int r = 0; r < logits.Length / n; r++)
        {
            var row = p.AsSpan(r * n, n);
            logits.AsSpan(r * n, n).CopyTo(row);
            Tensors.Softmax.Forward(row, 1f, default);
        }
        return p;
    }

    /// <summary>
    /// One training forward and backward pass: dropout as configured (masks from <paramref name="seed"/>),
    /// mean cross-entropy against <paramref name="labels"/> (classification) or mean squared error against
    /// <paramref name="targets"/> (regression, <c>num_labels == 1</c>), gradients accumulated into
    /// <paramref name="grads"/>. <paramref name="hook"/> may gate layers per row (random layer drop). Returns the
    /// loss and the logits (B, num_labels).
    /// </summary>
    public (float Loss, float[] Logits) ForwardBackward(BertBatch batch, BertTrainingActivations acts, ParameterSet grads,
        ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ulong seed, ITrainingLayerHook? hook = null)
    {
        var logits = ForwardTraining(batch, acts, seed, hook);
        var dLogits = new float[logits.Length];
        float loss = TaskLoss(dLogits, logits, labels, targets, batch.BatchSize);
        BackwardFromLogits(batch, acts, grads, dLogits, hook);
        return (loss, logits);
    }

    /// <summary>
    /// Training forward of encoder and head (pooler, classifier dropout from <paramref name="seed"/>, classifier, or
    /// <paramref name="head"/> instead when given): logits (B, num_labels). What the backward pass needs stays in <paramref name="acts"/>.
    /// </summary>
    public float[] ForwardTraining(BertBatch batch, BertTrainingActivations acts, ulong seed, ITrainingLayerHook? hook = null, IClassifierHead? head = null)
    {
        Bert.ForwardTraining(batch, acts, seed, hook);
        int b = batch.BatchSize, h = Config.HiddenSize;
        Bert.PoolTraining(acts, batch);
        float p = Config.ClassifierDropout ?? Config.HiddenDropoutProb;
        var pooledDropped = acts.PooledDropped.AsSpan(0, b * h);
        acts.Pooled.AsSpan(0, b * h).CopyTo(pooledDropped);
        acts.PooledDropoutSeed = Tensors.Dropout.Hash(seed, 1000);
        Tensors.Dropout.Forward(pooledDropped, p, acts.PooledDropoutSeed);
        var logits = new float[b * Config.NumLabels];
        if (head is null) Classifier.Forward(logits, acts.PooledDropped, b);
        else head.Forward(logits, acts.PooledDropped.AsSpan(0, b * h), b);
        return logits;
    }

    /// <summary>
    /// Backward of <see cref="ForwardTraining"/> from the gradient of the logits (B, num_labels): classifier, its
    /// dropout, pooler, encoder (with the forward pass's <paramref name="hook"/> and <paramref name="head"/>). Gradients
    /// accumulate into <paramref name="grads"/> (the head's into its own).
    /// </summary>
    public void BackwardFromLogits(BertBatch batch, BertTrainingActivations acts, ParameterSet grads, ReadOnlySpan<float> dLogits, ITrainingLayerHook? hook = null,
        IClassifierHead? head = null)
    {
        int b = batch.BatchSize, h = Config.HiddenSize;
        var dPooled = acts.GradPooled;
        dPooled.AsSpan(0, b * h).Clear();
        if (head is null) Classifier.Backward(dPooled.AsSpan(0, b * h), grads, dLogits, acts.PooledDropped, b);
        else head.Backward(dPooled.AsSpan(0, b * h), dLogits, acts.PooledDropped.AsSpan(0, b * h), b);
        Tensors.Dropout.Backward(dPooled.AsSpan(0, b * h), Config.ClassifierDropout ?? Config.HiddenDropoutProb, acts.PooledDropoutSeed);
        Bert.Backward(grads, acts, batch, dPooled, hook: hook);
    }

    /// <summary>
    /// The task loss: mean cross-entropy against <paramref name="labels"/> or, for regression, mean squared error
    /// against <paramref name="targets"/>; its gradient goes to <paramref name="dLogits"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The labels or targets do not match the batch.</exception>
    public float TaskLoss(Span<float> dLogits, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, int batchSize)
    {
        if (IsRegression)
        {
            if (targets.Length != batchSize) throw new ArgumentException($"regression needs {batchSize} targets, got {targets.Length}", nameof(targets));
            return Tensors.Losses.MeanSquaredError(dLogits, logits, targets);
        }
        if (labels.Length != batchSize) throw new ArgumentException($"classification needs {batchSize} labels, got {labels.Length}", nameof(labels));
        return Tensors.Losses.CrossEntropy(dLogits, logits, labels, batchSize, Config.NumLabels);
    }
}
