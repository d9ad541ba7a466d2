using DpBert.Bert;

namespace DpBert.Training;

/// <summary>
/// What <see cref="Trainer"/> trains: the parameter groups, the forward and backward pass of one batch, and how
/// the model is written. Fine-tuning (<see cref="ClassificationObjective"/>), masked-LM pre-training
/// (<see cref="MaskedLmObjective"/>), DPBERT's planner and the early-exit heads are objectives; the loop around
/// them (data order, schedule, clipping, AdamW, evaluation, checkpoints, log, progress) is the same.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>The parameter blocks trained, each with its own AdamW; the first group's rate and gradient norm are the ones logged as <c>learning_rate</c> and <c>grad_norm</c>.</summary>
    IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>
    /// Forward and backward of one micro-batch (examples <paramref name="indices"/> of <paramref name="data"/>):
    /// gradients accumulate into <paramref name="gradients"/> (one per group, in order).
    /// </summary>
    ObjectiveStep ForwardBackward(EncodedDataset data, int[] indices, IReadOnlyList<ParameterSet> gradients, StepContext context);

    /// <summary>
    /// What the objective learns from besides the training rows (e.g. <see cref="TeacherTargets"/>), as a short fingerprint
    /// that a resumed run must match; null when it learns from the rows alone.
    /// </summary>
    string? TargetsFingerprint => null;

    /// <summary>Writes the model folder of the current weights into the existing, empty <paramref name="folder"/>: configuration, every group's weights file, tokenizer and the method's own files.</summary>
    void WriteModel(string folder);
}

/// <summary>One block of parameters the loop trains, with its own optimizer.</summary>
/// <param name="Name">Short name (<c>model</c>, <c>planner</c>, <c>exits</c>), used in the log and the optimizer checkpoint.</param>
/// <param name="Parameters">The parameters.</param>
/// <param name="Optimizer">AdamW settings; <see cref="AdamWOptions.LearningRate"/> is the peak the schedule scales.</param>
/// <param name="FileName">The weights file of the group inside a model folder (read back when resuming).</param>
/// <param name="LearningRateScale">Given a parameter key, the multiplier of the group's scheduled rate (e.g. <see cref="LayerwiseLearningRate.Scales"/>); null: 1 everywhere.</param>
public sealed record ParameterGroup(string Name, ParameterSet Parameters, AdamWOptions Optimizer, string FileName, Func<string, double>? LearningRateScale = null);

/// <summary>What one forward and backward pass reports.</summary>
/// <param name="Loss">The loss that was differentiated.</param>
/// <param name="Values">Further values to log with the step (task loss, gate mean, temperature...).</param>
public sealed record ObjectiveStep(double Loss, IReadOnlyDictionary<string, double>? Values = null);

/// <summary>Where a micro-batch stands in the run.</summary>
/// <param name="Step">Optimizer steps done before this one (0 for the first).</param>
/// <param name="TotalSteps">Optimizer steps the run takes.</param>
/// <param name="Seed">This micro-batch's seed (a hash of the run's seed and the batch's position): dropout masks and noise derive from it.</param>
public readonly record struct StepContext(int Step, int TotalSteps, ulong Seed);
