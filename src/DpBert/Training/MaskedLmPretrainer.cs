using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>Knobs of masked-LM pre-training (flags of <c>dpbert pretrain</c> in brackets).</summary>
public sealed record PretrainingOptions
{
    /// <summary>[--max-steps] optimizer steps; -1 means use <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary>[--num-train-epochs] passes over the corpus.</summary>
    public double NumTrainEpochs { get; init; } = 1;
    /// <summary>[--per-device-train-batch-size] sentences per step.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>
    /// [--learning-rate] peak rate. 3e-4 by measurement: at 1e-3 a one-epoch run of bert-mini collapsed
    /// (every token's hidden state the same, MLM loss stuck at the unigram level ~7.5).
    /// </summary>
    public double LearningRate { get; init; } = 3e-4;
    /// <summary>
    /// The peak rate <c>dpbert pretrain --model</c> uses by default when it continues a pre-trained model: 5e-5, the
    /// default of Hugging Face's <c>run_mlm.py</c> (a from-scratch rate would wash out what the model knows).
    /// </summary>
    public const double ContinuedLearningRate = 5e-5;
    /// <summary>[--warmup-ratio] linear warm-up fraction.</summary>
    public double WarmupRatio { get; init; } = 0.05;
    /// <summary>[--weight-decay] decoupled decay (not on biases and LayerNorm).</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>[--max-seq-length] sentences are truncated to this many tokens.</summary>
    public int MaxSeqLength { get; init; } = 64;
    /// <summary>[--mlm-probability] fraction of tokens chosen for prediction.</summary>
    public double MaskProbability { get; init; } = 0.15;
    /// <summary>[--max-grad-norm] clip; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>[--seed] shuffling, masking and dropout.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Checks every value; the message names the flag.</summary>
    public void Validate()
    {
        if (MaxSteps is not -1 and < 1) throw new ArgumentException($"--max-steps {MaxSteps}: must be positive, or -1 for epochs");
        if (NumTrainEpochs <= 0 && MaxSteps < 1) throw new ArgumentException($"--num-train-epochs {NumTrainEpochs}: must be positive");
        if (BatchSize < 1) throw new ArgumentException($"--per-device-train-batch-size {BatchSize}: must be at least 1");
        if (!(LearningRate > 0)) throw new ArgumentException($"--learning-rate {LearningRate}: must be positive");
        if (WarmupRatio is < 0 or > 1) throw new ArgumentException($"--warmup-ratio {WarmupRatio}: must be in [0, 1]");
        if (MaxSeqLength < 3) throw new ArgumentException($"--max-seq-length {MaxSeqLength}: must be at least 3");
        if (MaskProbability is <= 0 or >= 1) throw new ArgumentException($"--mlm-probability {MaskProbability}: must be in (0, 1)");
    }
}

/// <summary>
/// Masked-LM pre-training of a <see cref="BertForMaskedLM"/> on plain sentences (one parameter group,
/// <c>model</c>): each step masks its batch with the 80/10/10 recipe (a random stream seeded by the run's seed and
/// the step), and the loss is the cross-entropy at the masked positions.
/// </summary>
public sealed class MaskedLmObjective(BertForMaskedLM model, BertTokenizer tokenizer, PretrainingOptions options) : ITrainingObjective
{
    private readonly BertTrainingActivations _acts = new(model.Config);

    /// <inheritdoc/>
    public IReadOnlyList<ParameterGroup> Groups { get; } =
        [new ParameterGroup("model", model.Parameters, new AdamWOptions(options.LearningRate, WeightDecay: options.WeightDecay), Checkpoints.ModelFolder.WeightsFileName)];

    /// <inheritdoc/>
    public ObjectiveStep ForwardBackward(EncodedDataset data, int[] indices, IReadOnlyList<ParameterSet> gradients, StepContext context)
    {
        var batch = data.Batch(indices, model.Config.PadTokenId);
        var rng = new Random(unchecked(options.Seed * 7919 + context.Step));
        int[] labels = MaskedLanguageModeling.Mask(batch, tokenizer.SpecialTokens, model.Config.VocabSize, options.MaskProbability, rng);
        return new ObjectiveStep(model.ForwardBackward(batch, labels, _acts, gradients[0], Dropout.Hash((ulong)options.Seed, (ulong)context.Step)));
    }

    /// <inheritdoc/>
    public void WriteModel(string folder) => TrainingCheckpoint.WriteModelFiles(folder, model.Config, model.Parameters, tokenizer);
}

/// <summary>
/// Pre-trains a <see cref="BertForMaskedLM"/> on plain sentences with <see cref="Trainer"/> and
/// <see cref="MaskedLmObjective"/>: shuffled, length-bucketed batches, AdamW with linear warm-up and decay. The
/// output folder holds the model (with the <c>cls.predictions</c> head, loadable for fine-tuning),
/// <c>training_log.jsonl</c> and a resumable <c>checkpoint/</c>; on cancellation the model is written as it is.
/// </summary>
public sealed class MaskedLmPretrainer(BertForMaskedLM model, BertTokenizer tokenizer, PretrainingOptions options)
{
    /// <summary>Runs pre-training over <paramref name="sentences"/> and saves to <paramref name="outputDir"/>.</summary>
    public TrainingResult Train(IReadOnlyList<string> sentences, string outputDir, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var data = new EncodedDataset(sentences.Select(s => new LabeledExample(s, null, null)).ToList(), tokenizer, options.MaxSeqLength);
        var loop = new TrainingLoopOptions
        {
            NumTrainEpochs = options.NumTrainEpochs, MaxSteps = options.MaxSteps, BatchSize = options.BatchSize, WarmupRatio = options.WarmupRatio,
            MaxGradNorm = options.MaxGradNorm, Seed = options.Seed,
        };
        return new Trainer(new MaskedLmObjective(model, tokenizer, options), loop).Train(data, null, outputDir, progress, cancellation);
    }
}
