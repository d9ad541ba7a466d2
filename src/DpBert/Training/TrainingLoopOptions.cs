namespace DpBert.Training;

/// <summary>
/// How <see cref="Trainer"/> walks through the data, whatever it trains: epochs or steps, batches, the
/// learning-rate schedule, clipping, evaluation, best-model keeping and early stopping. Each method's options
/// (<see cref="TrainingOptions"/>, the planner's, the exit heads', pre-training's) give one.
/// </summary>
public sealed record TrainingLoopOptions
{
    /// <summary>Passes over the training set (ignored when <see cref="MaxSteps"/> &gt; 0).</summary>
    public double NumTrainEpochs { get; init; } = 3;
    /// <summary>Total optimizer steps; -1 means use <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary>Examples per micro-batch.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Micro-batches per optimizer step (their gradients are averaged).</summary>
    public int GradientAccumulationSteps { get; init; } = 1;
    /// <summary>Learning-rate schedule: linear, constant, constant_with_warmup or cosine.</summary>
    public string Schedule { get; init; } = "linear";
    /// <summary>Warm-up length in optimizer steps (not together with <see cref="WarmupRatio"/>).</summary>
    public int? WarmupSteps { get; init; }
    /// <summary>Warm-up as a fraction of all steps (ceil).</summary>
    public double? WarmupRatio { get; init; }
    /// <summary>Global gradient-norm clip, applied to each parameter group; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Seed of the batch order and of every step's dropout masks and noise.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>False: batches in file order, no length bucketing.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Evaluate every N optimizer steps as well as at each epoch end; null: epoch ends only.</summary>
    public int? EvalSteps { get; init; }
    /// <summary>The metric that picks the best model (higher is better); null keeps the last model.</summary>
    public string? MainMetric { get; init; }
    /// <summary>Stop after N evaluations without improvement of <see cref="MainMetric"/>; null: never.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes.</summary>
    public int TotalSteps(int trainCount)
    {
        if (MaxSteps > 0) return MaxSteps;
        int batches = (trainCount + BatchSize - 1) / BatchSize;
        int updates = (batches + GradientAccumulationSteps - 1) / GradientAccumulationSteps;
        return Math.Max(1, (int)Math.Ceiling(NumTrainEpochs * updates));
    }

    /// <summary>Checks the values (each method's options name their own flags first).</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxSteps is not -1 and < 1) throw new ArgumentException($"max steps {MaxSteps}: must be positive, or -1 for epochs");
        if (MaxSteps < 1 && !(NumTrainEpochs > 0)) throw new ArgumentException($"epochs {NumTrainEpochs}: must be positive");
        if (BatchSize < 1) throw new ArgumentException($"batch size {BatchSize}: must be at least 1");
        if (GradientAccumulationSteps < 1) throw new ArgumentException($"gradient accumulation steps {GradientAccumulationSteps}: must be at least 1");
        if (!(MaxGradNorm >= 0)) throw new ArgumentException($"max grad norm {MaxGradNorm}: must not be negative");
        if (EvalSteps is < 1) throw new ArgumentException($"eval steps {EvalSteps}: must be at least 1");
        _ = LearningRateSchedule.ParseKind(Schedule);
    }
}
