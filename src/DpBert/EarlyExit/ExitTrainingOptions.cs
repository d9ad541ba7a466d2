namespace DpBert.EarlyExit;

/// <summary>Knobs of exit-head training (DeeBERT's second stage, PABEE's joint training).</summary>
public sealed record ExitTrainingOptions
{
    /// <summary>Peak learning rate of the exit heads.</summary>
    public double HeadLearningRate { get; init; } = 5e-4;
    /// <summary>Peak learning rate of the backbone (PABEE only; DeeBERT keeps the backbone frozen).</summary>
    public double BackboneLearningRate { get; init; } = 5e-5;
    /// <summary>Passes over the training set.</summary>
    public double NumTrainEpochs { get; init; } = 1;
    /// <summary>Optimizer steps; when positive, overrides <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary>Inputs per step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Truncation length in tokens.</summary>
    public int MaxSeqLength { get; init; } = 128;
    /// <summary>Fraction of the steps with a linear warm-up.</summary>
    public double WarmupRatio { get; init; } = 0.1;
    /// <summary>Global gradient-norm clipping (0 = off).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>What the exit heads read after their layer: [CLS] (default) or the mean of the real tokens.</summary>
    public Bert.TokenPooling HeadInput { get; init; } = Bert.TokenPooling.Cls;
    /// <summary>Seed of shuffling, dropout and initialisation.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>How <see cref="Training.Trainer"/> runs it: shuffled batches, a linear schedule with warm-up, no evaluation.</summary>
    public Training.TrainingLoopOptions ToLoopOptions() => new()
    {
        NumTrainEpochs = NumTrainEpochs, MaxSteps = MaxSteps, BatchSize = BatchSize, WarmupRatio = WarmupRatio, MaxGradNorm = MaxGradNorm, Seed = Seed,
    };

    /// <summary>Checks every knob; the message names the flag and value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A knob is out of range.</exception>
    public void Validate()
    {
        if (!(HeadLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(HeadLearningRate), $"--head-learning-rate {HeadLearningRate} must be positive");
        if (!(BackboneLearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(BackboneLearningRate), $"--backbone-learning-rate {BackboneLearningRate} must be >= 0");
        if (MaxSteps is not -1 and < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), $"--max-steps {MaxSteps} must be positive, or -1 for epochs");
        if (MaxSteps <= 0 && !(NumTrainEpochs > 0)) throw new ArgumentOutOfRangeException(nameof(NumTrainEpochs), $"--num-train-epochs {NumTrainEpochs} must be positive");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"--per-device-train-batch-size {BatchSize} must be >= 1");
        if (MaxSeqLength < 2) throw new ArgumentOutOfRangeException(nameof(MaxSeqLength), $"--max-seq-length {MaxSeqLength} must be >= 2");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) throw new ArgumentOutOfRangeException(nameof(WarmupRatio), $"--warmup-ratio {WarmupRatio} must be in [0, 1)");
        if (!(MaxGradNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), $"--max-grad-norm {MaxGradNorm} must be >= 0");
    }
}
