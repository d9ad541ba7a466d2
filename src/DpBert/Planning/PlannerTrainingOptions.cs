using DpBert.Bert;
using DpBert.Training;

namespace DpBert.Planning;

/// <summary>
/// Knobs of DPBERT's second stage, training the planner jointly with the backbone (our design; see README).
/// Loss = task loss (blended with distillation when <see cref="DistillationWeight"/> &gt; 0)
/// + <see cref="Lambda"/> * (mean gate - <see cref="Rho"/>)^2, the mean taken over the batch and the planned layers,
/// + <see cref="LayerCost"/> * (each input's fraction of planned layers run), averaged over the batch.
/// </summary>
public sealed record PlannerTrainingOptions
{
    /// <summary>Target fraction of the planned layers (L - k) to run, in (0, 1].</summary>
    public double Rho { get; init; } = 0.5;
    /// <summary>Weight of the budget penalty (mean gate - rho)^2.</summary>
    public double Lambda { get; init; } = 4.0;
    /// <summary>Layers that always run before the planner decides (k).</summary>
    public int AlwaysRunLayers { get; init; } = 1;
    /// <summary>Gumbel-sigmoid temperature at the first step.</summary>
    public double TemperatureStart { get; init; } = 1.0;
    /// <summary>Temperature at the last step (annealed geometrically).</summary>
    public double TemperatureEnd { get; init; } = 0.1;
    /// <summary>Weight of distillation from the full-depth model's logits (0 = off, 1 = distillation only).</summary>
    public double DistillationWeight { get; init; } = 0.5;
    /// <summary>Softmax temperature of the distillation term (classification).</summary>
    public double DistillationTemperature { get; init; } = 2.0;
    /// <summary>Peak learning rate of the backbone (lower than the planner's: it is already fine-tuned).</summary>
    public double BackboneLearningRate { get; init; } = 5e-5;
    /// <summary>Peak learning rate of the planner.</summary>
    public double PlannerLearningRate { get; init; } = 1e-3;
    /// <summary>Passes over the training set.</summary>
    public double NumTrainEpochs { get; init; } = 1;
    /// <summary>Optimizer steps; when positive, overrides <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary>Inputs per step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Inputs per evaluation batch.</summary>
    public int EvalBatchSize { get; init; } = 64;
    /// <summary>Fraction of the steps with a linear warm-up of both learning rates.</summary>
    public double WarmupRatio { get; init; } = 0.1;
    /// <summary>Global gradient-norm clipping (0 = off).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Truncation length in tokens.</summary>
    public int MaxSeqLength { get; init; } = 128;
    /// <summary>Seed of shuffling, dropout and gate noise.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>
    /// Weight of the oracle term: binary cross-entropy between each planned layer's probability and whether the
    /// input's oracle plan (<see cref="OraclePlans"/>, searched on the stage-one model before training) runs that
    /// layer, so the planner learns which inputs need which layers (0 = off).
    /// </summary>
    public double OracleWeight { get; init; }
    /// <summary>
    /// Smallest logit margin of the stage-one model's class that a smaller plan must keep to be an input's oracle plan
    /// (<see cref="OraclePlans.MinMargin"/>; 0 = the same class, which two-class tasks meet by chance for about half of the inputs).
    /// </summary>
    public double OracleMargin { get; init; }
    /// <summary>
    /// How the gates are trained: straight-through Gumbel-sigmoid (default), or policy gradient with a reward per input
    /// (<see cref="PlanPolicyGradient"/>; the reward is minus the input's loss beyond the full-depth model's, blended with
    /// distillation as the loss is, minus its layer cost; the budget penalty then acts on the mean probability of running
    /// a layer, and the temperatures are unused).
    /// </summary>
    public GateEstimator Estimator { get; init; } = GateEstimator.StraightThrough;
    /// <summary>
    /// Cost of each input's plan: <c>LayerCost</c> times the fraction of the planned layers it runs, added to the loss of
    /// that input (0 = off). Unlike the budget penalty on the batch mean, it charges every input for its own layers, so the
    /// layers go where they lower the loss by more than they cost. With <see cref="GateEstimator.Reinforce"/> it is part
    /// of each input's reward.
    /// </summary>
    public double LayerCost { get; init; }
    /// <summary>
    /// A classifier per plan length (<see cref="Planning.DepthHeads"/>, copies of the model's head at the start, trained with
    /// the planner) instead of the model's one head for every plan.
    /// </summary>
    public bool DepthHeads { get; init; }
    /// <summary>What the planner reads after the always-run layers: [CLS] (default) or the mean of the real tokens.</summary>
    public TokenPooling Input { get; init; } = TokenPooling.Cls;
    /// <summary>Threshold used for the evaluation at the end of each epoch.</summary>
    public double EvalTheta { get; init; } = 0.5;

    /// <summary>How <see cref="Trainer"/> runs stage two: shuffled batches, a linear schedule with warm-up, evaluation at epoch ends, the last model kept.</summary>
    public TrainingLoopOptions ToLoopOptions() => new()
    {
        NumTrainEpochs = NumTrainEpochs, MaxSteps = MaxSteps, BatchSize = BatchSize, WarmupRatio = WarmupRatio, MaxGradNorm = MaxGradNorm, Seed = Seed,
    };

    /// <summary>Checks every knob; the message names the flag and the value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A knob is out of range.</exception>
    public void Validate()
    {
        if (!(Rho > 0 && Rho <= 1)) throw new ArgumentOutOfRangeException(nameof(Rho), $"--rho {Rho} must be in (0, 1]");
        if (!(Lambda >= 0) || double.IsInfinity(Lambda)) throw new ArgumentOutOfRangeException(nameof(Lambda), $"--lambda {Lambda} must be a finite number >= 0");
        if (AlwaysRunLayers < 1) PlanningModule.CheckAlwaysRunLayers(AlwaysRunLayers, int.MaxValue);
        if (!(TemperatureStart > 0) || !(TemperatureEnd > 0)) throw new ArgumentOutOfRangeException(nameof(TemperatureStart), $"--temperature {TemperatureStart} -> {TemperatureEnd}: both must be positive");
        if (!(DistillationWeight >= 0 && DistillationWeight <= 1)) throw new ArgumentOutOfRangeException(nameof(DistillationWeight), $"--distillation-weight {DistillationWeight} must be in [0, 1]");
        if (!(DistillationTemperature > 0)) throw new ArgumentOutOfRangeException(nameof(DistillationTemperature), $"--distillation-temperature {DistillationTemperature} must be positive");
        if (!(BackboneLearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(BackboneLearningRate), $"--backbone-learning-rate {BackboneLearningRate} must be >= 0");
        if (!(PlannerLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(PlannerLearningRate), $"--planner-learning-rate {PlannerLearningRate} must be positive");
        if (MaxSteps is not -1 and < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), $"--max-steps {MaxSteps} must be positive, or -1 for epochs");
        if (MaxSteps <= 0 && !(NumTrainEpochs > 0)) throw new ArgumentOutOfRangeException(nameof(NumTrainEpochs), $"--num-train-epochs {NumTrainEpochs} must be positive");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"--per-device-train-batch-size {BatchSize} must be >= 1");
        if (EvalBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(EvalBatchSize), $"--per-device-eval-batch-size {EvalBatchSize} must be >= 1");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) throw new ArgumentOutOfRangeException(nameof(WarmupRatio), $"--warmup-ratio {WarmupRatio} must be in [0, 1)");
        if (!(MaxGradNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), $"--max-grad-norm {MaxGradNorm} must be >= 0");
        if (MaxSeqLength < 2) throw new ArgumentOutOfRangeException(nameof(MaxSeqLength), $"--max-seq-length {MaxSeqLength} must be >= 2");
        if (!(OracleWeight >= 0) || double.IsInfinity(OracleWeight)) throw new ArgumentOutOfRangeException(nameof(OracleWeight), $"--oracle-weight {OracleWeight} must be a finite number >= 0");
        if (!(OracleMargin >= 0) || double.IsInfinity(OracleMargin)) throw new ArgumentOutOfRangeException(nameof(OracleMargin), $"--oracle-margin {OracleMargin} must be a finite number >= 0");
        if (!(LayerCost >= 0) || double.IsInfinity(LayerCost)) throw new ArgumentOutOfRangeException(nameof(LayerCost), $"--layer-cost {LayerCost} must be a finite number >= 0");
        if (Estimator == GateEstimator.Reinforce && BatchSize < 2)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), $"--gate-estimator reinforce needs --per-device-train-batch-size >= 2 (the baseline of an input is the rest of its batch), got {BatchSize}");
        if (!Enum.IsDefined(Estimator)) throw new ArgumentOutOfRangeException(nameof(Estimator), $"gate estimator {(int)Estimator} is not one of straight-through, reinforce");
        if (!(EvalTheta > 0 && EvalTheta < 1)) throw new ArgumentOutOfRangeException(nameof(EvalTheta), $"--theta {EvalTheta} must be in (0, 1)");
    }
}
