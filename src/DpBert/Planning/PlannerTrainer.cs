using DpBert.Bert;
using DpBert.Methods;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Planning;

/// <summary>How a planner training run ended.</summary>
/// <param name="Steps">Optimizer steps done.</param>
/// <param name="Classifier">The trained backbone with its planner.</param>
/// <param name="FinalMetrics">Metrics at <see cref="PlannerTrainingOptions.EvalTheta"/> after the last epoch (with <c>mean_layers</c>); null without an evaluation set.</param>
/// <param name="TrainingTime">Wall-clock time of the training steps.</param>
/// <param name="OutputDir">The DPBERT folder written.</param>
public sealed record PlannerTrainingResult(int Steps, DpBertClassifier Classifier, IReadOnlyDictionary<string, double>? FinalMetrics, TimeSpan TrainingTime, string OutputDir);

/// <summary>
/// DPBERT's second stage, set up for <see cref="Trainer"/>: starting from a backbone fine-tuned at full depth
/// (stage one), a new planner is trained jointly with the backbone (<see cref="PlannerObjective"/>), with
/// distillation targets from the stage-one model's logits, an evaluation at
/// <see cref="PlannerTrainingOptions.EvalTheta"/> at each epoch end (metric, <c>mean_layers</c>), and the
/// <see cref="DpBertFolder"/> written to the output folder.
/// </summary>
public sealed class PlannerTrainer
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly PlannerTrainingOptions _options;

    /// <summary>Prepares a run on a fine-tuned backbone (trained in place).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A knob is out of range, or k is not in [1, L).</exception>
    public PlannerTrainer(BertForSequenceClassification model, BertTokenizer tokenizer, PlannerTrainingOptions options)
    {
        options.Validate();
        PlanningModule.CheckAlwaysRunLayers(options.AlwaysRunLayers, model.Config.NumHiddenLayers);
        _model = model;
        _tokenizer = tokenizer;
        _options = options;
    }

    /// <summary>
    /// The oracle plans of the training set, when already searched (<see cref="OraclePlans.Search"/> on this
    /// backbone, same data, same k); otherwise <see cref="Train"/> searches them when the oracle weight is set.
    /// </summary>
    public OraclePlans? OracleTargets { get; init; }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes.</summary>
    public int TotalSteps(int trainCount) => _options.ToLoopOptions().TotalSteps(trainCount);

    /// <summary>A planner for the model, initialised so that each planned layer starts with probability (1 + rho) / 2 of running.</summary>
    public PlanningModule CreatePlanner() => CreatePlanner(_model, _options);

    /// <summary>A planner for <paramref name="model"/> (<see cref="CreatePlanner(BertConfig, PlannerTrainingOptions)"/>), its depth heads, if any, copies of the model's classifier.</summary>
    public static PlanningModule CreatePlanner(BertForSequenceClassification model, PlannerTrainingOptions options)
    {
        var planner = CreatePlanner(model.Config, options);
        planner.DepthHeads?.CopyFrom(model.Classifier, model.Parameters, planner.Parameters);
        return planner;
    }

    /// <summary>
    /// A planner for <paramref name="config"/> as stage two starts it: weights from N(0, 0.02) drawn with
    /// <see cref="PlannerTrainingOptions.Seed"/>, output bias <c>logit((1 + rho) / 2)</c>. Every engine starts from these values.
    /// Depth heads (<see cref="PlannerTrainingOptions.DepthHeads"/>) start as copies of the model's classifier: use the overload that takes the model.
    /// </summary>
    public static PlanningModule CreatePlanner(BertConfig config, PlannerTrainingOptions options)
    {
        var planner = new PlanningModule(config, options.AlwaysRunLayers, options.Input, options.DepthHeads);
        var rng = new Random(options.Seed);
        foreach (var name in new[] { "planner.hidden.weight", "planner.output.weight" }) BertInitializer.FillNormal(planner.Parameters.Span(name), 0.02, rng);
        double start = Math.Clamp((1 + options.Rho) / 2, 0.05, 0.95);
        planner.Parameters.Span("planner.output.bias").Fill((float)Math.Log(start / (1 - start)));
        planner.Parameters.MarkChanged();
        return planner;
    }

    /// <summary>Runs the joint training and writes the DPBERT folder to <paramref name="outputDir"/>.</summary>
    public PlannerTrainingResult Train(EncodedDataset train, EncodedDataset? eval, MetricFunction metrics, string outputDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        var o = _options;
        var planner = CreatePlanner();
        var classifier = new DpBertClassifier(_model, planner);
        float[] teacher = o.DistillationWeight > 0 || o.Estimator == GateEstimator.Reinforce ? EvaluationOutput.Predict(_model, train, o.EvalBatchSize).Logits : [];
        float[]? oracle = o.OracleWeight > 0 ? (OracleTargets ?? OraclePlans.Search(_model, train, o.AlwaysRunLayers, o.EvalBatchSize, minMargin: o.OracleMargin)).Targets() : null;
        var objective = new PlannerObjective(_model, _tokenizer, planner, o, teacher, oracle);
        Func<IReadOnlyDictionary<string, double>>? evaluate = eval is null ? null : () =>
        {
            var predictions = AdaptivePredictions.Run(classifier, eval, o.EvalTheta, o.EvalBatchSize);
            return new Dictionary<string, double>(metrics(eval, predictions.Output))
            {
                ["loss"] = predictions.Output.Loss, ["mean_layers"] = predictions.MeanLayers, ["theta"] = o.EvalTheta,
            };
        };
        var result = new Trainer(objective, o.ToLoopOptions()).Train(train, evaluate, outputDir, progress, cancellation);
        return new PlannerTrainingResult(result.Steps, classifier, result.FinalMetrics, result.TrainingTime, outputDir);
    }
}
