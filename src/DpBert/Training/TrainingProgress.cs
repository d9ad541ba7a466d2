namespace DpBert.Training;

/// <summary>What a progress event reports.</summary>
public enum TrainingEventKind
{
    /// <summary>An optimizer step finished.</summary>
    Step,
    /// <summary>An evaluation finished; <see cref="TrainingProgress.Metrics"/> holds its results.</summary>
    Evaluation,
    /// <summary>A checkpoint was written to <see cref="TrainingProgress.CheckpointPath"/>.</summary>
    Checkpoint,
}

/// <summary>
/// One progress event of a training run, for progress bars in the command line and live charts in
/// notebooks. Rates are measured over the run so far.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Step">Optimizer steps done (1-based after the first).</param>
/// <param name="TotalSteps">Optimizer steps planned.</param>
/// <param name="Epoch">Fractional epoch, e.g. 1.5 halfway through the second.</param>
/// <param name="Loss">Mean loss of this step's batch (Step events).</param>
/// <param name="LearningRate">The rate used for this step.</param>
/// <param name="GradNorm">Gradient norm before clipping.</param>
/// <param name="ExamplesPerSecond">Training throughput.</param>
/// <param name="TokensPerSecond">Training throughput in real (unpadded) tokens.</param>
/// <param name="Elapsed">Wall-clock time since the run started.</param>
/// <param name="Remaining">Estimated time to the end.</param>
/// <param name="Metrics">Evaluation metrics (Evaluation events).</param>
/// <param name="CheckpointPath">Folder written (Checkpoint events).</param>
public sealed record TrainingProgress(
    TrainingEventKind Kind, int Step, int TotalSteps, double Epoch, double Loss, double LearningRate, double GradNorm,
    double ExamplesPerSecond, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining,
    IReadOnlyDictionary<string, double>? Metrics = null, string? CheckpointPath = null);
