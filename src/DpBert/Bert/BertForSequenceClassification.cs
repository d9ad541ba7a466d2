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

    /// <summary>Runs the model and returns the logits (B, num_labels), row-major.</summary>
    /// <param name="batch">The input.</param>
    /// <param name="hiddenStates">Optional: receives the embedding output and every layer's output.</param>
    /// <param name="runLayer">Optional per-layer switch (a skipped layer is the identity).</param>
    public float[] Forward(BertBatch batch, List<float[]>? hiddenStates = null, Func<int, bool>? runLayer = null)
    {
        Bert.Forward(batch, hiddenStates, runLayer);
        var logits = new float[batch.BatchSize * Config.NumLabels];
        Classifier.Forward(logits, Bert.Activations.Pooled, batch.BatchSize);
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
    /// <paramref name="grads"/>. Returns the loss and the logits (B, num_labels).
    /// </summary>
    public (float Loss, float[] Logits) ForwardBackward(BertBatch batch, BertTrainingActivations acts, ParameterSet grads,
        ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ulong seed)
    {
        int b = batch.BatchSize, n = Config.NumLabels;
        Bert.ForwardTraining(batch, acts, seed);
        var logits = HeadForwardTraining(acts, acts.SequenceOutput, b, batch.SequenceLength, seed);
        var dLogits = new float[b * n];
        float loss = TaskLoss(dLogits, logits, labels, targets, b);
        var dPooled = HeadBackward(grads, dLogits, acts, b);
        Bert.Backward(grads, acts, batch, dPooled);
        return (loss, logits);
    }

    /// <summary>
    /// Training forward of the head (pooler, classifier dropout from <paramref name="seed"/>, classifier) on the
    /// final hidden states <paramref name="hidden"/> (B*S, H); the pooled output is kept in <paramref name="acts"/>.
    /// </summary>
    internal float[] HeadForwardTraining(BertTrainingActivations acts, float[] hidden, int batchSize, int seqLen, ulong seed)
    {
        int b = batchSize, h = Config.HiddenSize;
        Bert.Pooler!.Forward(acts.Pooled, hidden, b, seqLen);
        float p = Config.ClassifierDropout ?? Config.HiddenDropoutProb;
        var pooledDropped = acts.PooledDropped.AsSpan(0, b * h);
        acts.Pooled.AsSpan(0, b * h).CopyTo(pooledDropped);
        acts.PooledDropoutSeed = Tensors.Dropout.Hash(seed, 1000);
        Tensors.Dropout.Forward(pooledDropped, p, acts.PooledDropoutSeed);
        var logits = new float[b * Config.NumLabels];
        Classifier.Forward(logits, acts.PooledDropped, b);
        return logits;
    }

    /// <summary>Backward of the classifier and its dropout: the gradient of the pooled output (B, H), before the pooler.</summary>
    internal float[] HeadBackward(ParameterSet grads, ReadOnlySpan<float> dLogits, BertTrainingActivations acts, int batchSize)
    {
        int b = batchSize, h = Config.HiddenSize;
        var dPooled = acts.GradPooled;
        dPooled.AsSpan(0, b * h).Clear();
        Classifier.Backward(dPooled.AsSpan(0, b * h), grads, dLogits, acts.PooledDropped, b);
        Tensors.Dropout.Backward(dPooled.AsSpan(0, b * h), Config.ClassifierDropout ?? Config.HiddenDropoutProb, acts.PooledDropoutSeed);
        return dPooled;
    }

    /// <summary>
    /// The task loss: mean cross-entropy against <paramref name="labels"/> or, for regression, mean squared error
    /// against <paramref name="targets"/>; its gradient goes to <paramref name="dLogits"/>.
    /// </summary>
    internal float TaskLoss(Span<float> dLogits, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, int batchSize)
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
