using System.Diagnostics;
using DpBert.Methods;
using DpBert.Planning;
using DpBert.Tensors;
using DpBert.Tokenization;
using DpBert.Training;
using DpBert.TorchSharp.Interop;
using DpBert.TorchSharp.Planning;
using TorchSharp;
using static TorchSharp.torch;
using TorchBert = DpBert.TorchSharp.Bert.BertForSequenceClassification;
using TorchPlanner = DpBert.TorchSharp.Planning.PlanningModule;

namespace DpBert.TorchSharp.Training;

/// <summary>
/// DPBERT's second stage on TorchSharp, the same run as the core engine's <see cref="PlannerTrainer"/> with the same
/// <see cref="PlannerTrainingOptions"/>: a new planner (initialised as the core engine's, <see cref="TorchPlanner.Initialize"/>) trained jointly with the
/// backbone (AdamW, linear schedule with warm-up, a lower backbone rate, clipping), straight-through Gumbel-sigmoid gates
/// annealed geometrically, distillation from the full-depth logits and the budget penalty (<see cref="DpBertObjective"/>).
/// The gate noise is the core engine's (<see cref="GumbelSigmoidGate.HashNoise"/>), the batches the core engine's
/// (<see cref="BatchPlan"/>); dropout is libtorch's. Logs to <c>training_log.jsonl</c>, evaluates at each epoch end through
/// <see cref="TorchSharpDpBertClassifier"/>, and writes the core engine's DPBERT folder (<see cref="DpBertFolder"/>).
/// </summary>
public sealed class TorchSharpPlannerTrainer
{
    private readonly TorchBert _backbone;
    private readonly BertTokenizer _tokenizer;
    private readonly PlannerTrainingOptions _options;

    /// <summary>Prepares a run on a fine-tuned backbone (trained in place, on its device).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A knob is out of range, or k is not below the layer count.</exception>
    public TorchSharpPlannerTrainer(TorchBert backbone, BertTokenizer tokenizer, PlannerTrainingOptions options)
    {
        options.Validate();
        if (options.Estimator != GateEstimator.StraightThrough) throw new NotSupportedException("--gate-estimator reinforce: the TorchSharp engine trains straight-through gates only; use the core engine");
        if (options.LayerCost > 0) throw new NotSupportedException("--layer-cost: the TorchSharp engine trains with the budget penalty only; use the core engine");
        if (options.OracleWeight > 0) throw new NotSupportedException("--oracle-weight: the TorchSharp engine does not train on oracle targets; use the core engine");
        if (options.DepthHeads) throw new NotSupportedException("--depth-heads: the TorchSharp engine trains planners whose plans share the model's head; use the core engine");
        if (options.AlwaysRunLayers >= backbone.Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(options), $"--always-run-layers {options.AlwaysRunLayers} must be below the model's {backbone.Config.NumHiddenLayers} layers");
        _backbone = backbone;
        _tokenizer = tokenizer;
        _options = options;
    }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes (as the core engine counts them).</summary>
    public int TotalSteps(int trainCount) => _options.ToLoopOptions().TotalSteps(trainCount);

    /// <summary>Runs the joint training, writes the DPBERT folder to <paramref name="outputDir"/> and returns the trained model with the run's record.</summary>
    public (DpBertForSequenceClassification Model, PlannerTrainingResult Result) Train(EncodedDataset train, EncodedDataset? eval, MetricFunction metrics, string outputDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        var o = _options;
        var config = _backbone.Config;
        var device = _backbone.Device();
        var dtype = _backbone.DType;
        var planner = new TorchPlanner(config, o.AlwaysRunLayers, o.Input);
        planner.Initialize(o);
        planner.to(device, dtype);
        var model = new DpBertForSequenceClassification(_backbone, planner);
        var classifier = new TorchSharpDpBertClassifier(model);
        int n = config.NumLabels, planned = planner.PlannedLayers;
        float[] teacher = o.DistillationWeight > 0 ? _backbone.PredictLogits(train, o.EvalBatchSize) : [];

        var backboneOptimizer = new TorchSharpAdamW(_backbone.named_parameters(), o.BackboneLearningRate, 0.01);
        var plannerOptimizer = new TorchSharpAdamW(planner.named_parameters().Select(p => ("planner." + p.name, p.parameter)), o.PlannerLearningRate, 0.0);
        int total = TotalSteps(train.Count);
        var loop = o.ToLoopOptions();
        var schedule = LearningRateSchedule.Create(loop.Schedule, total, loop.WarmupSteps, loop.WarmupRatio);

        Directory.CreateDirectory(outputDir);
        string logPath = Path.Combine(outputDir, TrainingLog.FileName);
        IReadOnlyDictionary<string, double>? lastMetrics = null;
        int globalStep = 0, batchesPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        var clock = Stopwatch.StartNew();
        var trainingTime = new Stopwatch();
        long examples = 0, tokens = 0;
        using (var log = new TrainingLog(logPath, replace: true))
        {
            for (int epoch = 0; globalStep < total && !cancellation.IsCancellationRequested; epoch++)
            {
                var batches = BatchPlan.ForEpoch(train.Lengths, o.BatchSize, shuffle: true, o.Seed, epoch);
                for (int bi = 0; bi < batches.Count && globalStep < total && !cancellation.IsCancellationRequested; bi++)
                {
                    trainingTime.Start();
                    int[] indices = batches[bi];
                    double temperature = GumbelGate.AnnealedTemperature(o.TemperatureStart, o.TemperatureEnd, globalStep, total);
                    ulong seed = Dropout.Hash((ulong)o.Seed, (ulong)((long)epoch * batchesPerEpoch + bi));
                    double loss, taskLoss, gateMean, norm;
                    model.train();
                    backboneOptimizer.ZeroGrad();
                    plannerOptimizer.ZeroGrad();
                    using (var scope = NewDisposeScope())
                    {
                        using var inputs = TorchBatch.From(train.Batch(indices, config.PadTokenId), device);
                        var labels = _backbone.IsRegression
                            ? tensor(indices.Select(i => train.Scores[i]).ToArray(), device: device)
                            : tensor(indices.Select(i => (long)train.Labels[i]).ToArray(), device: device);
                        var teacherBatch = teacher.Length == 0 ? null
                            : tensor(indices.SelectMany(i => teacher.AsSpan(i * n, n).ToArray()).ToArray(), [indices.Length, n]).to(dtype, device);
                        var noise = GumbelSigmoidGate.HashNoise(seed, indices.Length, planned, dtype, device);
                        var gated = model.ForwardGated(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask, noise, temperature);
                        var objective = DpBertObjective.Compute(_backbone, gated, labels, teacherBatch, o);
                        objective.Loss.backward();
                        (loss, taskLoss, gateMean) = (objective.Loss.item<float>(), objective.TaskLoss.item<float>(), objective.GateMean.item<float>());
                    }
                    // Each group clipped on its own; the planner is the first group (its rate and norm are the ones logged), as in the core loop.
                    norm = plannerOptimizer.ClipGradients(o.MaxGradNorm);
                    double backboneNorm = backboneOptimizer.ClipGradients(o.MaxGradNorm);
                    globalStep++;
                    double factor = schedule.RateAt(globalStep, 1.0);
                    backboneOptimizer.Step(o.BackboneLearningRate * factor);
                    plannerOptimizer.Step(o.PlannerLearningRate * factor);
                    trainingTime.Stop();
                    examples += indices.Length;
                    tokens += train.TokenCount(indices);
                    double epochPosition = epoch + (bi + 1.0) / batchesPerEpoch;
                    var values = new Dictionary<string, double>
                    {
                        ["task_loss"] = taskLoss, ["gate_mean"] = gateMean, ["temperature"] = temperature,
                        ["backbone_learning_rate"] = o.BackboneLearningRate * factor, ["backbone_grad_norm"] = backboneNorm,
                    };
                    log.Step(globalStep, epochPosition, loss, o.PlannerLearningRate * factor, norm, values);
                    if (progress is not null)
                    {
                        double seconds = Math.Max(1e-9, trainingTime.Elapsed.TotalSeconds);
                        progress.Report(new TrainingProgress(TrainingEventKind.Step, globalStep, total, epochPosition, loss, o.PlannerLearningRate * factor, norm,
                            examples / seconds, tokens / seconds, clock.Elapsed, TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / globalStep * (total - globalStep)), values));
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
        model.eval();
        TorchModelFolder.SaveDpBert(outputDir, model, _tokenizer, o, [logPath]);
        var coreClassifier = DpBertFolder.Load(outputDir).Classifier;
        return (model, new PlannerTrainingResult(globalStep, coreClassifier, lastMetrics, trainingTime.Elapsed, outputDir));
    }
}
