using System.Diagnostics;
using DpBert.Bert;
using DpBert.Evaluation;
using DpBert.Tensors;
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
/// DPBERT's second stage: starting from a backbone fine-tuned at full depth (stage one, <see cref="Trainer"/>),
/// trains a new planner jointly with the backbone (AdamW, linear schedule with warm-up, a lower rate for the
/// backbone), with hard Gumbel-sigmoid gates whose temperature anneals from
/// <see cref="PlannerTrainingOptions.TemperatureStart"/> to <see cref="PlannerTrainingOptions.TemperatureEnd"/>,
/// distillation from the stage-one model's logits and the budget penalty. Logs every step (loss, task loss,
/// gate mean, temperature) to <c>training_log.jsonl</c>, evaluates at each epoch end, and writes a
/// <see cref="DpBertFolder"/>.
/// </summary>
public sealed class PlannerTrainer
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly PlannerTrainingOptions _options;

    /// <summary>Prepares a run on a fine-tuned backbone (trained in place).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A knob is out of range, or k is not below the layer count.</exception>
    public PlannerTrainer(BertForSequenceClassification model, BertTokenizer tokenizer, PlannerTrainingOptions options)
    {
        options.Validate();
        if (options.AlwaysRunLayers >= model.Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(options), $"--always-run-layers {options.AlwaysRunLayers} must be below the model's {model.Config.NumHiddenLayers} layers");
        _model = model;
        _tokenizer = tokenizer;
        _options = options;
    }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes.</summary>
    public int TotalSteps(int trainCount) => _options.MaxSteps > 0 ? _options.MaxSteps
        : Math.Max(1, (int)Math.Ceiling(_options.NumTrainEpochs * ((trainCount + _options.BatchSize - 1) / _options.BatchSize)));

    /// <summary>A planner for the model, initialised so that each planned layer starts with probability (1 + rho) / 2 of running.</summary>
    public PlanningModule CreatePlanner() => CreatePlanner(_model.Config, _options);

    /// <summary>
    /// A planner for <paramref name="config"/> as stage two starts it: weights from N(0, 0.02) drawn with
    /// <see cref="PlannerTrainingOptions.Seed"/>, output bias <c>logit((1 + rho) / 2)</c>. Every engine starts from these values.
    /// </summary>
    public static PlanningModule CreatePlanner(BertConfig config, PlannerTrainingOptions options)
    {
        var planner = new PlanningModule(config, options.AlwaysRunLayers);
        var rng = new Random(options.Seed);
        foreach (var name in new[] { "planner.hidden.weight", "planner.output.weight" })
        {
            var w = planner.Parameters.Span(name);
            for (int i = 0; i < w.Length; i++) w[i] = (float)(0.02 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        }
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
        int n = _model.Config.NumLabels;
        float[] teacher = o.DistillationWeight > 0 ? new FullDepthClassifierLogits(_model).Compute(train, o.EvalBatchSize) : [];

        var backboneGrads = _model.Parameters.CreateLike();
        var plannerGrads = planner.Parameters.CreateLike();
        var backboneOptimizer = new AdamW(_model.Parameters, backboneGrads, new AdamWOptions(o.BackboneLearningRate, 0.9, 0.999, 1e-8, 0.01));
        var plannerOptimizer = new AdamW(planner.Parameters, plannerGrads, new AdamWOptions(o.PlannerLearningRate, 0.9, 0.999, 1e-8, 0.0));
        int total = TotalSteps(train.Count);
        var schedule = LearningRateSchedule.Create("linear", total, null, o.WarmupRatio);
        var step = new DpBertTrainingStep(_model, planner);

        Directory.CreateDirectory(outputDir);
        string logPath = Path.Combine(outputDir, TrainingLog.FileName);
        if (File.Exists(logPath)) File.Delete(logPath);
        IReadOnlyDictionary<string, double>? lastMetrics = null;
        int globalStep = 0, batchesPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        var clock = Stopwatch.StartNew();
        var trainingTime = new Stopwatch();
        long examples = 0, tokens = 0;
        var labels = new int[o.BatchSize];
        var targets = new float[o.BatchSize];
        var teacherBatch = new float[o.BatchSize * n];
        using (var log = new TrainingLog(logPath))
        {
            for (int epoch = 0; globalStep < total && !cancellation.IsCancellationRequested; epoch++)
            {
                var batches = BatchPlan.ForEpoch(train.Lengths, o.BatchSize, shuffle: true, o.Seed, epoch);
                for (int bi = 0; bi < batches.Count && globalStep < total && !cancellation.IsCancellationRequested; bi++)
                {
                    trainingTime.Start();
                    int[] indices = batches[bi];
                    var batch = train.Batch(indices, _model.Config.PadTokenId);
                    for (int r = 0; r < indices.Length; r++)
                    {
                        labels[r] = train.Labels[indices[r]];
                        targets[r] = train.Scores[indices[r]];
                        if (teacher.Length > 0) teacher.AsSpan(indices[r] * n, n).CopyTo(teacherBatch.AsSpan(r * n, n));
                    }
                    double temperature = GumbelGate.AnnealedTemperature(o.TemperatureStart, o.TemperatureEnd, globalStep, total);
                    Gradients.Zero(backboneGrads);
                    Gradients.Zero(plannerGrads);
                    ulong seed = Dropout.Hash((ulong)o.Seed, (ulong)((long)epoch * batchesPerEpoch + bi));
                    var result = step.ForwardBackward(batch,
                        _model.IsRegression ? default : labels.AsSpan(0, indices.Length),
                        _model.IsRegression ? targets.AsSpan(0, indices.Length) : default,
                        teacher.Length > 0 ? teacherBatch.AsSpan(0, indices.Length * n) : default,
                        backboneGrads, plannerGrads, o, temperature, seed);
                    double norm = o.MaxGradNorm > 0 ? Gradients.ClipGlobalNorm(backboneGrads, o.MaxGradNorm) : Gradients.GlobalNorm(backboneGrads);
                    if (o.MaxGradNorm > 0) Gradients.ClipGlobalNorm(plannerGrads, o.MaxGradNorm);
                    globalStep++;
                    double factor = schedule.RateAt(globalStep, 1.0);
                    backboneOptimizer.Step(o.BackboneLearningRate * factor);
                    plannerOptimizer.Step(o.PlannerLearningRate * factor);
                    trainingTime.Stop();
                    examples += indices.Length;
                    tokens += train.TokenCount(indices);
                    double epochPosition = epoch + (bi + 1.0) / batchesPerEpoch;
                    log.Step(globalStep, epochPosition, result.Loss, o.PlannerLearningRate * factor, norm, new Dictionary<string, double>
                    {
                        ["task_loss"] = result.TaskLoss, ["gate_mean"] = result.GateMean, ["temperature"] = temperature,
                        ["backbone_learning_rate"] = o.BackboneLearningRate * factor,
                    });
                    if (progress is not null)
                    {
                        double seconds = Math.Max(1e-9, trainingTime.Elapsed.TotalSeconds);
                        progress.Report(new TrainingProgress(TrainingEventKind.Step, globalStep, total, epochPosition, result.Loss, o.PlannerLearningRate * factor, norm,
                            examples / seconds, tokens / seconds, clock.Elapsed, TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / globalStep * (total - globalStep)),
                            new Dictionary<string, double> { ["gate_mean"] = result.GateMean, ["temperature"] = temperature }));
                    }
                }
                if (eval is null) continue;
                var predictions = AdaptivePredictions.Run(classifier, eval, o.EvalTheta, o.EvalBatchSize);
                var m = new Dictionary<string, double>(metrics(eval, predictions.Output))
                {
                    ["loss"] = predictions.Output.Loss, ["mean_layers"] = predictions.MeanLayers, ["theta"] = o.EvalTheta,
                };
                lastMetrics = m;
                log.Evaluation(globalStep, epoch + 1, m);
                progress?.Report(new TrainingProgress(TrainingEventKind.Evaluation, globalStep, total, epoch + 1, double.NaN, double.NaN, double.NaN,
                    0, 0, clock.Elapsed, TimeSpan.Zero, m));
            }
        }
        DpBertFolder.Save(outputDir, _model, _tokenizer, planner, o, [logPath]);
        return new PlannerTrainingResult(globalStep, classifier, lastMetrics, trainingTime.Elapsed, outputDir);
    }
}
