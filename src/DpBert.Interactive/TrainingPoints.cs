namespace DpBert.Interactive;

/// <summary>One optimizer step of a training run.</summary>
/// <param name="Step">Optimizer step (1-based).</param>
/// <param name="Epoch">Fractional epoch.</param>
/// <param name="Loss">Mean loss of the step's batch.</param>
/// <param name="LearningRate">The rate used for the step.</param>
public sealed record TrainingStepPoint(int Step, double Epoch, double Loss, double LearningRate);

/// <summary>One evaluation of a training run.</summary>
/// <param name="Step">Optimizer steps done when it ran.</param>
/// <param name="Epoch">Fractional epoch.</param>
/// <param name="Metrics">Metric values by name (without the log's <c>eval_</c> prefix).</param>
public sealed record TrainingEvaluationPoint(int Step, double Epoch, IReadOnlyDictionary<string, double> Metrics);
