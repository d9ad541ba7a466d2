using System.Diagnostics;
using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tensors;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>Computes named metrics (higher is better) for a dataset's predictions.</summary>
public delegate IReadOnlyDictionary<string, double> MetricFunction(EncodedDataset data, EvaluationOutput output);

/// <summary>How a run ended.</summary>
/// <param name="Steps">Optimizer steps done.</param>
/// <param name="TrainLoss">Mean training loss over the steps of this process.</param>
/// <param name="BestMetrics">Metrics of the best evaluation (null without an evaluation set).</param>
/// <param name="FinalMetrics">Metrics of the last evaluation.</param>
/// <param name="Cancelled">Stopped by cancellation after writing a resumable checkpoint.</param>
/// <param name="EarlyStopped">Stopped by early stopping.</param>
/// <param name="OutputDir">Where the model, checkpoint and log are.</param>
/// <param name="TrainingTime">Wall-clock time spent in training steps (evaluation excluded).</param>
/// <param name="ExamplesPerSecond">Training throughput.</param>
/// <param name="TokensPerSecond">Training throughput in real tokens.</param>
public sealed record TrainingResult(int Steps, double TrainLoss, IReadOnlyDictionary<string, double>? BestMetrics,
    IReadOnlyDictionary<string, double>? FinalMetrics, bool Cancelled, bool EarlyStopped, string OutputDir,
    TimeSpan TrainingTime, double ExamplesPerSecond, double TokensPerSecond);

/// <summary>
/// Fine-tunes a <see cref="BertForSequenceClassification"/>, shaped like a straight training loop: for each
/// epoch, for each batch: forward and backward (accumulating over micro-batches), clip, AdamW step with the
/// scheduled rate, log; evaluate every <see cref="TrainingOptions.EvalSteps"/> steps and at each epoch end,
/// keep the best model, checkpoint, stop early or on cancellation. Output folder:
/// <code>
/// config.json, model.safetensors, vocab.txt, tokenizer_config.json   the final model (the best one when evaluated)
/// training_log.jsonl                                                 one record per step and per evaluation
/// eval_results.json                                                  metrics of that model
/// checkpoint/                                                        resumable: model + optimizer + trainer_state.json
/// best/                                                              the best model so far
/// </code>
/// </summary>
public sealed class Trainer
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly TrainingOptions _options;

    /// <summary>Prepares a run. Dropout overrides must already be in the model's configuration (<see cref="ApplyDropoutOverrides"/>).</summary>
    public Trainer(BertForSequenceClassification model, BertTokenizer tokenizer, TrainingOptions options)
    {
        options.Validate();
        _model = model;
        _tokenizer = tokenizer;
        _options = options;
    }

    /// <summary>The configuration with <c>--hidden-dropout-prob</c> / <c>--attention-probs-dropout-prob</c> applied.</summary>
    public static BertConfig ApplyDropoutOverrides(BertConfig config, TrainingOptions options) => config with
    {
        HiddenDropoutProb = options.HiddenDropoutProb ?? config.HiddenDropoutProb,
        AttentionProbsDropoutProb = options.AttentionProbsDropoutProb ?? config.AttentionProbsDropoutProb,
        ClassifierDropout = options.HiddenDropoutProb is not null ? null : config.ClassifierDropout,
    };

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes.</summary>
    public int TotalSteps(int trainCount)
    {
        if (_options.MaxSteps > 0) return _options.MaxSteps;
        int batches = (trainCount + _options.PerDeviceTrainBatchSize - 1) / _options.PerDeviceTrainBatchSize;
        int updates = (batches + _options.GradientAccumulationSteps - 1) / _options.GradientAccumulationSteps;
        return Math.Max(1, (int)Math.Ceiling(_options.NumTrainEpochs * updates));
    }

    /// <summary>Runs training to the end (or to cancellation, which writes a resumable checkpoint first).</summary>
    /// <param name="train">Training set.</param>
    /// <param name="eval">Evaluation set, or null.</param>
    /// <param name="metrics">Metric function for <paramref name="eval"/>.</param>
    /// <param name="mainMetric">Name of the metric that picks the best model.</param>
    /// <param name="outputDir">Output folder (created).</param>
    /// <param name="progress">Receives step, evaluation and checkpoint events.</param>
    /// <param name="cancellation">Stops after the current step.</param>
    /// <param name="resumeFrom">A <c>checkpoint/</c> folder to continue from exactly.</param>
    public TrainingResult Train(EncodedDataset train, EncodedDataset? eval, MetricFunction metrics, string mainMetric, string outputDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default, string? resumeFrom = null)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        var o = _options;
        var parameters = _model.Parameters;
        var grads = parameters.CreateLike();
        var acts = new BertTrainingActivations(_model.Config);
        var layerDrop = o.LayerDrop > 0 ? new Planning.LayerDropStep(_model) : null;
        var optimizer = new AdamW(parameters, grads, new AdamWOptions(o.LearningRate, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon, o.WeightDecay));
        int total = TotalSteps(train.Count);
        var schedule = LearningRateSchedule.Create(o.LrSchedulerType, total, o.WarmupSteps, o.WarmupRatio);
        Directory.CreateDirectory(outputDir);
        string logPath = Path.Combine(outputDir, TrainingLog.FileName);
        string checkpointDir = Path.Combine(outputDir, "checkpoint");
        string bestDir = Path.Combine(outputDir, "best");

        var state = new TrainerState(0, 0, 0, total, double.NaN, 0, 0);
        if (resumeFrom is not null)
        {
            string folder = AtomicFolder.Resolve(resumeFrom) ?? throw new DirectoryNotFoundException($"checkpoint not found: {resumeFrom}");
            ParameterCheckpoint.Load(parameters, Path.Combine(folder, ModelFolder.WeightsFileName));
            parameters.MarkChanged();
            state = TrainingCheckpoint.LoadTrainingState(folder, optimizer) with { TotalSteps = total };
        }
        else if (File.Exists(logPath)) File.Delete(logPath);
        using var log = new TrainingLog(logPath);

        int batchSize = o.PerDeviceTrainBatchSize, accumulation = o.GradientAccumulationSteps;
        int batchesPerEpoch = (train.Count + batchSize - 1) / batchSize;
        var clock = Stopwatch.StartNew();
        var trainingTime = new Stopwatch();
        long examplesDone = 0, tokensDone = 0;
        double lossSum = 0;
        int stepsThisRun = 0;
        IReadOnlyDictionary<string, double>? bestMetrics = null, lastMetrics = null;
        bool cancelled = false, earlyStopped = false;
        var labels = new int[batchSize];
        var targets = new float[batchSize];

        void Report(TrainingEventKind kind, double loss, double lr, double norm, IReadOnlyDictionary<string, double>? m = null, string? path = null)
        {
            if (progress is null) return;
            double seconds = Math.Max(1e-9, trainingTime.Elapsed.TotalSeconds);
            double perStep = stepsThisRun == 0 ? 0 : clock.Elapsed.TotalSeconds / stepsThisRun;
            var remaining = TimeSpan.FromSeconds(perStep * (total - state.GlobalStep));
            double epoch = state.Epoch + (double)state.BatchInEpoch / batchesPerEpoch;
            progress.Report(new TrainingProgress(kind, state.GlobalStep, total, epoch, loss, lr, norm,
                examplesDone / seconds, tokensDone / seconds, clock.Elapsed, remaining, m, path));
        }

        bool EvaluateAndKeepBest()
        {
            if (eval is null) return false;
            var output = Predict(eval);
            var m = new Dictionary<string, double>(metrics(eval, output)) { ["loss"] = output.Loss };
            lastMetrics = m;
            double epoch = state.Epoch + (double)state.BatchInEpoch / batchesPerEpoch;
            log.Evaluation(state.GlobalStep, epoch, m);
            Report(TrainingEventKind.Evaluation, double.NaN, double.NaN, double.NaN, m);
            if (!m.TryGetValue(mainMetric, out double value))
                throw new InvalidOperationException($"the metric function returned no \"{mainMetric}\" (it returned {string.Join(", ", m.Keys)})");
            if (double.IsNaN(state.BestMetric) || value > state.BestMetric)
            {
                state = state with { BestMetric = value, BestStep = state.GlobalStep, EvaluationsWithoutImprovement = 0 };
                bestMetrics = m;
                AtomicFolder.Write(bestDir, temp =>
                {
                    TrainingCheckpoint.WriteModelFiles(temp, _model.Config, parameters, _tokenizer);
                    WriteMetrics(Path.Combine(temp, "eval_results.json"), m, state.GlobalStep);
                });
            }
            else state = state with { EvaluationsWithoutImprovement = state.EvaluationsWithoutImprovement + 1 };
            return o.EarlyStoppingPatience is int patience && state.EvaluationsWithoutImprovement >= patience;
        }

        void SaveCheckpoint()
        {
            TrainingCheckpoint.Save(checkpointDir, _model.Config, parameters, _tokenizer, optimizer, state);
            Report(TrainingEventKind.Checkpoint, double.NaN, double.NaN, double.NaN, path: checkpointDir);
        }

        while (state.GlobalStep < total && !earlyStopped && !cancelled)
        {
            var batches = BatchPlan.ForEpoch(train.Lengths, batchSize, o.Shuffle, o.Seed, state.Epoch);
            while (state.BatchInEpoch < batches.Count && state.GlobalStep < total)
            {
                trainingTime.Start();
                Gradients.Zero(grads);
                int micro = Math.Min(accumulation, batches.Count - state.BatchInEpoch);
                double stepLoss = 0;
                for (int j = 0; j < micro; j++)
                {
                    int[] indices = batches[state.BatchInEpoch + j];
                    var batch = train.Batch(indices, _model.Config.PadTokenId);
                    for (int r = 0; r < indices.Length; r++) { labels[r] = train.Labels[indices[r]]; targets[r] = train.Scores[indices[r]]; }
                    ulong seed = Dropout.Hash((ulong)o.Seed, (ulong)((long)state.Epoch * batchesPerEpoch + state.BatchInEpoch + j));
                    var taskLabels = _model.IsRegression ? default : labels.AsSpan(0, indices.Length);
                    var taskTargets = _model.IsRegression ? targets.AsSpan(0, indices.Length) : default;
                    var (loss, _) = layerDrop is null
                        ? _model.ForwardBackward(batch, acts, grads, taskLabels, taskTargets, seed)
                        : layerDrop.ForwardBackward(batch, acts, grads, taskLabels, taskTargets, seed, o.LayerDrop);
                    stepLoss += loss;
                    examplesDone += indices.Length;
                    tokensDone += train.TokenCount(indices);
                }
                if (micro > 1) Gradients.Scale(grads, 1f / micro);
                stepLoss /= micro;
                double norm = o.MaxGradNorm > 0 ? Gradients.ClipGlobalNorm(grads, o.MaxGradNorm) : Gradients.GlobalNorm(grads);
                int step = state.GlobalStep + 1;
                double lr = schedule.RateAt(step, o.LearningRate);
                optimizer.Step(lr);
                trainingTime.Stop();
                state = state with { GlobalStep = step, BatchInEpoch = state.BatchInEpoch + micro };
                stepsThisRun++;
                lossSum += stepLoss;
                log.Step(step, state.Epoch + (double)state.BatchInEpoch / batchesPerEpoch, stepLoss, lr, norm);
                Report(TrainingEventKind.Step, stepLoss, lr, norm);

                bool endOfEpoch = state.BatchInEpoch >= batches.Count;
                if (o.EvalSteps is int every && step % every == 0 && !endOfEpoch)
                {
                    earlyStopped = EvaluateAndKeepBest();
                    SaveCheckpoint();
                    if (earlyStopped) break;
                }
                if (cancellation.IsCancellationRequested) { cancelled = true; break; }
            }
            if (cancelled || earlyStopped) break;
            // End of the epoch (or of the run inside it): evaluate, then move to the next epoch.
            bool finishedEpoch = state.BatchInEpoch >= batches.Count;
            if (finishedEpoch) state = state with { Epoch = state.Epoch + 1, BatchInEpoch = 0 };
            earlyStopped = EvaluateAndKeepBest();
            SaveCheckpoint();
        }
        if (cancelled) SaveCheckpoint();

        // The final model: the best evaluated one, else the last.
        string source = bestMetrics is not null && !cancelled ? bestDir : checkpointDir;
        foreach (string name in new[] { ModelFolder.ConfigFileName, ModelFolder.WeightsFileName, BertTokenizer.VocabFileName, BertTokenizerOptions.ConfigFileName })
        {
            string temp = Path.Combine(outputDir, $".{name}.tmp");
            File.Copy(Path.Combine(source, name), temp, overwrite: true);
            File.Move(temp, Path.Combine(outputDir, name), overwrite: true);
        }
        if (bestMetrics is not null) WriteMetrics(Path.Combine(outputDir, "eval_results.json"), bestMetrics, state.BestStep);

        double secondsTotal = Math.Max(1e-9, trainingTime.Elapsed.TotalSeconds);
        return new TrainingResult(state.GlobalStep, stepsThisRun == 0 ? double.NaN : lossSum / stepsThisRun, bestMetrics, lastMetrics,
            cancelled, earlyStopped, outputDir, trainingTime.Elapsed, examplesDone / secondsTotal, tokensDone / secondsTotal);
    }

    /// <summary>Runs the model (no dropout) over <paramref name="data"/> in order and returns its predictions and mean loss.</summary>
    public EvaluationOutput Predict(EncodedDataset data)
    {
        int n = data.Count, labelsCount = _model.Config.NumLabels, bs = _options.PerDeviceEvalBatchSize;
        var logits = new float[n * labelsCount];
        var order = Enumerable.Range(0, n).ToArray();
        for (int start = 0; start < n; start += bs)
        {
            var indices = order.AsSpan(start, Math.Min(bs, n - start));
            var batchLogits = _model.Forward(data.Batch(indices, _model.Config.PadTokenId));
            batchLogits.CopyTo(logits, start * labelsCount);
        }
        return EvaluationOutput.FromLogits(logits, data, labelsCount, _model.IsRegression);
    }

    private static void WriteMetrics(string path, IReadOnlyDictionary<string, double> metrics, int step)
    {
        var record = new Dictionary<string, double>(metrics.Select(kv => KeyValuePair.Create("eval_" + kv.Key, kv.Value))) { ["step"] = step };
        File.WriteAllText(path, JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
    }
}
