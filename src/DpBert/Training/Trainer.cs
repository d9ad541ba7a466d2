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
/// <param name="BestMetrics">Metrics of the best evaluation (null without an evaluation or a main metric).</param>
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
/// The training loop, for every objective (<see cref="ITrainingObjective"/>: fine-tuning, masked-LM pre-training,
/// DPBERT's planner, exit heads), shaped like a straight loop: for each epoch, for each batch: forward and
/// backward (accumulating over micro-batches), clip each parameter group, AdamW step with the scheduled rate,
/// log; evaluate every <see cref="TrainingLoopOptions.EvalSteps"/> steps and at each epoch end, keep the best
/// model, checkpoint, stop early or on cancellation. Output folder:
/// <code>
/// (model files)          the final model (the best one when a main metric is watched): config.json, model.safetensors,
///                        vocab.txt, tokenizer_config.json and the method's files (planner, exit heads)
/// training_log.jsonl     one record per step and per evaluation
/// eval_results.json      metrics of the best model
/// checkpoint/            resumable: model files + optimizer.safetensors + trainer_state.json
/// best/                  the best model so far
/// </code>
/// </summary>
public sealed class Trainer
{
    private readonly ITrainingObjective _objective;
    private readonly TrainingLoopOptions _options;
    private readonly BertForSequenceClassification? _classifier;
    private readonly int _evalBatchSize;

    /// <summary>Prepares a run of <paramref name="objective"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Trainer(ITrainingObjective objective, TrainingLoopOptions options)
    {
        options.Validate();
        _objective = objective;
        _options = options;
    }

    /// <summary>
    /// Prepares fine-tuning of <paramref name="model"/> (<see cref="ClassificationObjective"/>, with random layer drop
    /// when <see cref="TrainingOptions.LayerDrop"/> is set). Dropout overrides and the pooler input must already be in
    /// the model's configuration (<see cref="ApplyConfigOverrides"/>). With <paramref name="teacher"/>, the loss blends the
    /// task loss with distillation from the teachers' logits of the training rows given to <c>Train</c>.
    /// </summary>
    public Trainer(BertForSequenceClassification model, BertTokenizer tokenizer, TrainingOptions options, TeacherTargets? teacher = null)
        : this(new ClassificationObjective(model, tokenizer, options, teacher), ValidatedLoop(options))
    {
        _classifier = model;
        _evalBatchSize = options.PerDeviceEvalBatchSize;
    }

    private static TrainingLoopOptions ValidatedLoop(TrainingOptions options)
    {
        options.Validate();
        return options.ToLoopOptions();
    }

    /// <summary>What is trained.</summary>
    public ITrainingObjective Objective => _objective;

    /// <summary>The configuration with <c>--num-hidden-layers</c> / <c>--hidden-dropout-prob</c> / <c>--attention-probs-dropout-prob</c> / <c>--pooler-input</c> applied.</summary>
    public static BertConfig ApplyConfigOverrides(BertConfig config, TrainingOptions options) => (config with
    {
        NumHiddenLayers = options.NumHiddenLayers ?? config.NumHiddenLayers,
        HiddenDropoutProb = options.HiddenDropoutProb ?? config.HiddenDropoutProb,
        AttentionProbsDropoutProb = options.AttentionProbsDropoutProb ?? config.AttentionProbsDropoutProb,
        ClassifierDropout = options.HiddenDropoutProb is not null ? null : config.ClassifierDropout,
    }).WithPoolerInput(options.PoolerInput ?? config.PoolerInput);

    /// <summary>
    /// What the pooler of the run saved in <paramref name="checkpoint"/> reads (its <c>config.json</c>); null when the
    /// folder or its configuration is not there.
    /// </summary>
    public static TokenPooling? CheckpointPoolerInput(string checkpoint)
    {
        string? folder = AtomicFolder.Resolve(checkpoint);
        string? path = folder is null ? null : Path.Combine(folder, ModelFolder.ConfigFileName);
        return path is not null && File.Exists(path) ? BertConfig.Load(path).PoolerInput : null;
    }

    // A run resumed with another pooler input would go on computing something else with the same weights.
    private static void CheckSamePooler(string checkpointFolder, BertConfig config)
    {
        if (CheckpointPoolerInput(checkpointFolder) is not { } saved || saved == config.PoolerInput) return;
        throw new InvalidDataException($"{Path.Combine(checkpointFolder, ModelFolder.ConfigFileName)}: the run being resumed has a pooler that reads {TokenPoolings.Name(saved)} (\"dpbert_pooler_input\"), " +
            $"this model's reads {TokenPoolings.Name(config.PoolerInput)}: a run resumes with the pooler input it started with (--pooler-input {TokenPoolings.Name(saved)})");
    }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes.</summary>
    public int TotalSteps(int trainCount) => _options.TotalSteps(trainCount);

    /// <summary>
    /// Fine-tunes (the constructor taking a model): evaluates the model on <paramref name="eval"/> with
    /// <paramref name="metrics"/> (plus the mean <c>loss</c>) and keeps the best by <paramref name="mainMetric"/>.
    /// </summary>
    /// <param name="train">Training set.</param>
    /// <param name="eval">Evaluation set, or null.</param>
    /// <param name="metrics">Metric function for <paramref name="eval"/>.</param>
    /// <param name="mainMetric">Name of the metric that picks the best model.</param>
    /// <param name="outputDir">Output folder (created).</param>
    /// <param name="progress">Receives step, evaluation and checkpoint events.</param>
    /// <param name="cancellation">Stops after the current step.</param>
    /// <param name="resumeFrom">A <c>checkpoint/</c> folder to continue from exactly.</param>
    /// <exception cref="InvalidOperationException">This trainer was built from an objective, not a model.</exception>
    public TrainingResult Train(EncodedDataset train, EncodedDataset? eval, MetricFunction metrics, string mainMetric, string outputDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default, string? resumeFrom = null)
    {
        var model = _classifier ?? throw new InvalidOperationException("this overload fine-tunes the model given to the constructor; pass an evaluation function to Train instead");
        Func<IReadOnlyDictionary<string, double>>? evaluate = eval is null ? null : () =>
        {
            var output = EvaluationOutput.Predict(model, eval, _evalBatchSize);
            return new Dictionary<string, double>(metrics(eval, output)) { ["loss"] = output.Loss };
        };
        return Run(train, evaluate, mainMetric, outputDir, progress, cancellation, resumeFrom);
    }

    /// <summary>
    /// Runs training to the end (or to cancellation, which writes a resumable checkpoint first).
    /// <paramref name="evaluate"/>, when given, is called at each evaluation point and its metrics logged; the best
    /// model is kept when <see cref="TrainingLoopOptions.MainMetric"/> is set.
    /// </summary>
    public TrainingResult Train(EncodedDataset train, Func<IReadOnlyDictionary<string, double>>? evaluate, string outputDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default, string? resumeFrom = null) =>
        Run(train, evaluate, _options.MainMetric, outputDir, progress, cancellation, resumeFrom);

    private TrainingResult Run(EncodedDataset train, Func<IReadOnlyDictionary<string, double>>? evaluate, string? mainMetric, string outputDir,
        IProgress<TrainingProgress>? progress, CancellationToken cancellation, string? resumeFrom)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        var o = _options;
        if (o.EarlyStoppingPatience is not null && mainMetric is null) throw new ArgumentException("early stopping needs a main metric to watch");
        var groups = _objective.Groups;
        var grads = groups.Select(g => g.Parameters.CreateLike()).ToArray();
        var optimizers = groups.Select((g, i) => new AdamW(g.Parameters, grads[i], g.Optimizer, learningRateScale: g.LearningRateScale)).ToArray();
        int total = TotalSteps(train.Count);
        var schedule = LearningRateSchedule.Create(o.Schedule, total, o.WarmupSteps, o.WarmupRatio);
        Directory.CreateDirectory(outputDir);
        string logPath = Path.Combine(outputDir, TrainingLog.FileName);
        string checkpointDir = Path.Combine(outputDir, "checkpoint");
        string bestDir = Path.Combine(outputDir, "best");

        string rows = train.Fingerprint();
        if (_objective.TargetsFingerprint is { } targets) rows += $", learning from {targets}";
        var state = new TrainerState(0, 0, 0, total, double.NaN, 0, 0, rows);
        if (resumeFrom is not null)
        {
            string folder = AtomicFolder.Resolve(resumeFrom) ?? throw new DirectoryNotFoundException($"checkpoint not found: {resumeFrom}");
            if (_classifier is not null) CheckSamePooler(folder, _classifier.Config);
            var saved = TrainingCheckpoint.Load(folder, groups, optimizers);
            // More (or fewer) steps over the same rows is allowed, as transformers allows it; other rows would not replay the same batches.
            if (saved.TrainingRows is { } was && was != rows)
                throw new InvalidDataException($"{Path.Combine(folder, TrainingCheckpoint.StateFileName)}: the run being resumed trained on {was}; this run has {rows}. " +
                    "A run resumes on the rows it started with (the same task, files, --max-train-samples, --held-out and --max-seq-length) and learns from the same teachers");
            state = saved with { TotalSteps = total, TrainingRows = rows };
        }
        using var log = new TrainingLog(logPath, replace: resumeFrom is null);

        int batchSize = o.BatchSize, accumulation = o.GradientAccumulationSteps;
        int batchesPerEpoch = (train.Count + batchSize - 1) / batchSize;
        var clock = Stopwatch.StartNew();
        var trainingTime = new Stopwatch();
        long examplesDone = 0, tokensDone = 0;
        double lossSum = 0;
        int stepsThisRun = 0;
        IReadOnlyDictionary<string, double>? bestMetrics = null, lastMetrics = null;
        bool cancelled = false, earlyStopped = false;
        var norms = new double[groups.Count];

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
            if (evaluate is null) return false;
            var m = evaluate();
            lastMetrics = m;
            double epoch = state.Epoch + (double)state.BatchInEpoch / batchesPerEpoch;
            log.Evaluation(state.GlobalStep, epoch, m);
            Report(TrainingEventKind.Evaluation, double.NaN, double.NaN, double.NaN, m);
            if (mainMetric is null) return false;
            if (!m.TryGetValue(mainMetric, out double value))
                throw new InvalidOperationException($"the metric function returned no \"{mainMetric}\" (it returned {string.Join(", ", m.Keys)})");
            if (double.IsNaN(state.BestMetric) || value > state.BestMetric)
            {
                state = state with { BestMetric = value, BestStep = state.GlobalStep, EvaluationsWithoutImprovement = 0 };
                bestMetrics = m;
                AtomicFolder.Write(bestDir, temp =>
                {
                    _objective.WriteModel(temp);
                    WriteMetrics(Path.Combine(temp, EvalResultsFileName), m, state.GlobalStep);
                });
            }
            else state = state with { EvaluationsWithoutImprovement = state.EvaluationsWithoutImprovement + 1 };
            return o.EarlyStoppingPatience is int patience && state.EvaluationsWithoutImprovement >= patience;
        }

        void SaveCheckpoint()
        {
            TrainingCheckpoint.Save(checkpointDir, _objective, optimizers, state);
            Report(TrainingEventKind.Checkpoint, double.NaN, double.NaN, double.NaN, path: checkpointDir);
        }

        while (state.GlobalStep < total && !earlyStopped && !cancelled)
        {
            var batches = BatchPlan.ForEpoch(train.Lengths, batchSize, o.Shuffle, o.Seed, state.Epoch);
            while (state.BatchInEpoch < batches.Count && state.GlobalStep < total)
            {
                trainingTime.Start();
                foreach (var g in grads) Gradients.Zero(g);
                int micro = Math.Min(accumulation, batches.Count - state.BatchInEpoch);
                double stepLoss = 0;
                Dictionary<string, double>? values = null;
                for (int j = 0; j < micro; j++)
                {
                    int[] indices = batches[state.BatchInEpoch + j];
                    ulong seed = Dropout.Hash((ulong)o.Seed, (ulong)((long)state.Epoch * batchesPerEpoch + state.BatchInEpoch + j));
                    var result = _objective.ForwardBackward(train, indices, grads, new StepContext(state.GlobalStep, total, seed));
                    stepLoss += result.Loss;
                    if (result.Values is not null)
                    {
                        values ??= [];
                        foreach (var (name, v) in result.Values) values[name] = values.GetValueOrDefault(name) + v / micro;
                    }
                    examplesDone += indices.Length;
                    tokensDone += train.TokenCount(indices);
                }
                if (micro > 1) foreach (var g in grads) Gradients.Scale(g, 1f / micro);
                stepLoss /= micro;
                for (int i = 0; i < grads.Length; i++)
                    norms[i] = o.MaxGradNorm > 0 ? Gradients.ClipGlobalNorm(grads[i], o.MaxGradNorm) : Gradients.GlobalNorm(grads[i]);
                int step = state.GlobalStep + 1;
                double lr = 0;
                for (int i = 0; i < optimizers.Length; i++)
                {
                    double rate = schedule.RateAt(step, groups[i].Optimizer.LearningRate);
                    optimizers[i].Step(rate);
                    if (i == 0) lr = rate;
                    else
                    {
                        values ??= [];
                        values[$"{groups[i].Name}_learning_rate"] = rate;
                        values[$"{groups[i].Name}_grad_norm"] = norms[i];
                    }
                }
                trainingTime.Stop();
                state = state with { GlobalStep = step, BatchInEpoch = state.BatchInEpoch + micro };
                stepsThisRun++;
                lossSum += stepLoss;
                log.Step(step, state.Epoch + (double)state.BatchInEpoch / batchesPerEpoch, stepLoss, lr, norms[0], values);
                Report(TrainingEventKind.Step, stepLoss, lr, norms[0], values);

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

        // The final model: the best evaluated one, else the last; each file replaced by rename.
        string source = bestMetrics is not null && !cancelled ? bestDir : checkpointDir;
        foreach (string file in Directory.GetFiles(source))
        {
            string name = Path.GetFileName(file);
            if (name is TrainingCheckpoint.StateFileName or TrainingCheckpoint.OptimizerFileName or EvalResultsFileName) continue;
            string temp = Path.Combine(outputDir, $".{name}.tmp");
            File.Copy(file, temp, overwrite: true);
            File.Move(temp, Path.Combine(outputDir, name), overwrite: true);
        }
        if (bestMetrics is not null) WriteMetrics(Path.Combine(outputDir, EvalResultsFileName), bestMetrics, state.BestStep);

        double secondsTotal = Math.Max(1e-9, trainingTime.Elapsed.TotalSeconds);
        return new TrainingResult(state.GlobalStep, stepsThisRun == 0 ? double.NaN : lossSum / stepsThisRun, bestMetrics, lastMetrics,
            cancelled, earlyStopped, outputDir, trainingTime.Elapsed, examplesDone / secondsTotal, tokensDone / secondsTotal);
    }

    /// <summary>File name of the metrics of the kept model.</summary>
    public const string EvalResultsFileName = "eval_results.json";

    private static void WriteMetrics(string path, IReadOnlyDictionary<string, double> metrics, int step)
    {
        var record = new Dictionary<string, double>(metrics.Select(kv => KeyValuePair.Create("eval_" + kv.Key, kv.Value))) { ["step"] = step };
        File.WriteAllText(path, JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
    }
}
