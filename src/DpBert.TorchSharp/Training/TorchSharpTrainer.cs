using System.Diagnostics;
using System.Text.Json;
using DpBert.Checkpoints;
using DpBert.Tokenization;
using DpBert.Training;
using DpBert.TorchSharp.Interop;
using TorchSharp;
using static TorchSharp.torch;
using TorchBert = DpBert.TorchSharp.Bert.BertForSequenceClassification;

namespace DpBert.TorchSharp.Training;

/// <summary>
/// Fine-tuning at full depth (DPBERT's stage one) on TorchSharp with the core engine's <see cref="TrainingOptions"/> and
/// batches (<see cref="BatchPlan"/>): AdamW grouped as the core groups it, the same learning-rate schedules, clipping,
/// gradient accumulation, evaluation every <see cref="TrainingOptions.EvalSteps"/> steps and at each epoch end, the best
/// model kept (<c>best/</c>), early stopping, <c>training_log.jsonl</c>. The output folder is a model folder of the core
/// engine. Not supported here (the core engine's <see cref="Trainer"/> has them): layer drop and resumable checkpoints.
/// </summary>
public sealed class TorchSharpTrainer
{
    private readonly TorchBert _model;
    private readonly BertTokenizer _tokenizer;
    private readonly TrainingOptions _options;

    /// <summary>Prepares a run (the model is trained in place, on its device).</summary>
    /// <exception cref="ArgumentException">An option this engine does not support is set.</exception>
    public TorchSharpTrainer(TorchBert model, BertTokenizer tokenizer, TrainingOptions options)
    {
        options.Validate();
        if (options.RDropAlpha > 0) throw new ArgumentException($"--rdrop-alpha {options.RDropAlpha}: R-Drop is not supported by the TorchSharp engine; use --engine core", nameof(options));
        if (options.LayerDrop > 0) throw new ArgumentException($"--layer-drop {options.LayerDrop}: layer drop is not supported by the TorchSharp engine; use --engine core", nameof(options));
        _model = model;
        _tokenizer = tokenizer;
        _options = options;
    }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes (as the core engine counts them).</summary>
    public int TotalSteps(int trainCount) => _options.ToLoopOptions().TotalSteps(trainCount);

    /// <summary>Trains, writes the model folder (the best evaluated model, else the last) and returns the run's record.</summary>
    public TrainingResult Train(EncodedDataset train, EncodedDataset? eval, MetricFunction metrics, string mainMetric, string outputDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        var o = _options;
        var device = _model.Device();
        var optimizer = new TorchSharpAdamW(_model.named_parameters(), o.LearningRate, o.WeightDecay, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon,
            LayerwiseLearningRate.Scales(_model.Config.NumHiddenLayers, o.LayerLrDecay));
        int total = TotalSteps(train.Count);
        var schedule = LearningRateSchedule.Create(o.LrSchedulerType, total, o.WarmupSteps, o.WarmupRatio);
        Directory.CreateDirectory(outputDir);
        string logPath = Path.Combine(outputDir, TrainingLog.FileName), bestDir = Path.Combine(outputDir, "best");
        int batchSize = o.PerDeviceTrainBatchSize, accumulation = o.GradientAccumulationSteps;
        int batchesPerEpoch = (train.Count + batchSize - 1) / batchSize;
        var clock = Stopwatch.StartNew();
        var trainingTime = new Stopwatch();
        long examplesDone = 0, tokensDone = 0;
        double lossSum = 0, best = double.NaN;
        int step = 0, bestStep = 0, withoutImprovement = 0;
        IReadOnlyDictionary<string, double>? bestMetrics = null, lastMetrics = null;
        bool cancelled = false, earlyStopped = false;

        using var log = new TrainingLog(logPath, replace: true);
        bool EvaluateAndKeepBest(double epoch)
        {
            if (eval is null) return false;
            var output = EvaluationOutput.FromLogits(_model.PredictLogits(eval, o.PerDeviceEvalBatchSize), eval, _model.Config.NumLabels, _model.IsRegression);
            var m = new Dictionary<string, double>(metrics(eval, output)) { ["loss"] = output.Loss };
            lastMetrics = m;
            log.Evaluation(step, epoch, m);
            progress?.Report(new TrainingProgress(TrainingEventKind.Evaluation, step, total, epoch, double.NaN, double.NaN, double.NaN, 0, 0, clock.Elapsed, TimeSpan.Zero, m));
            if (!m.TryGetValue(mainMetric, out double value))
                throw new InvalidOperationException($"the metric function returned no \"{mainMetric}\" (it returned {string.Join(", ", m.Keys)})");
            if (!double.IsNaN(best) && !(value > best)) return o.EarlyStoppingPatience is int patience && ++withoutImprovement >= patience;
            (best, bestStep, bestMetrics, withoutImprovement) = (value, step, m, 0);
            string metricsFile = Path.Combine(outputDir, ".eval_results.json");
            File.WriteAllText(metricsFile, JsonSerializer.Serialize(
                new Dictionary<string, double>(m.Select(kv => KeyValuePair.Create("eval_" + kv.Key, kv.Value))) { ["step"] = step },
                new JsonSerializerOptions { WriteIndented = true }));
            TorchModelFolder.Save(bestDir, _model, _tokenizer, [metricsFile]);
            File.Move(metricsFile, Path.Combine(outputDir, "eval_results.json"), overwrite: true);
            return false;
        }

        for (int epoch = 0; step < total && !earlyStopped && !cancelled; epoch++)
        {
            var batches = BatchPlan.ForEpoch(train.Lengths, batchSize, o.Shuffle, o.Seed, epoch);
            for (int bi = 0; bi < batches.Count && step < total; bi += accumulation)
            {
                trainingTime.Start();
                _model.train();
                optimizer.ZeroGrad();
                int micro = Math.Min(accumulation, batches.Count - bi);
                double stepLoss = 0;
                for (int j = 0; j < micro; j++)
                {
                    int[] indices = batches[bi + j];
                    using var scope = NewDisposeScope();
                    using var inputs = TorchBatch.From(train.Batch(indices, _model.Config.PadTokenId), device);
                    var labels = _model.IsRegression
                        ? tensor(indices.Select(i => train.Scores[i]).ToArray(), device: device)
                        : tensor(indices.Select(i => (long)train.Labels[i]).ToArray(), device: device);
                    var loss = _model.TaskLoss(_model.forward(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask), labels);
                    (loss / micro).backward();
                    stepLoss += loss.item<float>() / micro;
                    examplesDone += indices.Length;
                    tokensDone += train.TokenCount(indices);
                }
                double norm = optimizer.ClipGradients(o.MaxGradNorm);
                step++;
                double lr = schedule.RateAt(step, o.LearningRate);
                optimizer.Step(lr);
                trainingTime.Stop();
                lossSum += stepLoss;
                double position = epoch + (double)Math.Min(bi + micro, batches.Count) / batchesPerEpoch;
                log.Step(step, position, stepLoss, lr, norm);
                if (progress is not null)
                {
                    double seconds = Math.Max(1e-9, trainingTime.Elapsed.TotalSeconds);
                    progress.Report(new TrainingProgress(TrainingEventKind.Step, step, total, position, stepLoss, lr, norm, examplesDone / seconds, tokensDone / seconds,
                        clock.Elapsed, TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / step * (total - step))));
                }
                bool endOfEpoch = bi + micro >= batches.Count;
                if (o.EvalSteps is int every && step % every == 0 && !endOfEpoch && (earlyStopped = EvaluateAndKeepBest(position))) break;
                if (cancellation.IsCancellationRequested) { cancelled = true; break; }
            }
            if (!cancelled && !earlyStopped) earlyStopped = EvaluateAndKeepBest(epoch + 1);
        }

        // The final model: the best evaluated one, else the last.
        if (bestMetrics is null || cancelled) TorchModelFolder.Save(bestDir, _model, _tokenizer);
        foreach (string name in new[] { ModelFolder.ConfigFileName, ModelFolder.WeightsFileName, BertTokenizer.VocabFileName, BertTokenizerOptions.ConfigFileName })
        {
            string temp = Path.Combine(outputDir, $".{name}.tmp");
            File.Copy(Path.Combine(bestDir, name), temp, overwrite: true);
            File.Move(temp, Path.Combine(outputDir, name), overwrite: true);
        }
        double secondsTotal = Math.Max(1e-9, trainingTime.Elapsed.TotalSeconds);
        return new TrainingResult(step, step == 0 ? double.NaN : lossSum / step, bestMetrics, lastMetrics, cancelled, earlyStopped, outputDir,
            trainingTime.Elapsed, examplesDone / secondsTotal, tokensDone / secondsTotal);
    }
}
