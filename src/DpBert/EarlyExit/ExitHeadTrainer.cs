using System.Diagnostics;
using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.EarlyExit;

/// <summary>
/// Trains exit heads on a fine-tuned backbone: DeeBERT's second stage (heads only, backbone frozen) or PABEE's
/// joint training (heads and backbone, depth-weighted loss; the last head starts as the model's classifier).
/// AdamW with a linear schedule; one log line per step in <c>training_log.jsonl</c>; writes an
/// <see cref="EarlyExitFolder"/>.
/// </summary>
public sealed class ExitHeadTrainer
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly EarlyExitMethod _method;
    private readonly ExitTrainingOptions _options;

    /// <summary>Prepares a run (the backbone is trained in place for PABEE).</summary>
    public ExitHeadTrainer(BertForSequenceClassification model, BertTokenizer tokenizer, EarlyExitMethod method, ExitTrainingOptions options)
    {
        options.Validate();
        if (method == EarlyExitMethod.DeeBert && model.IsRegression)
            throw new ArgumentException("DeeBERT exits on the entropy of class probabilities; it does not apply to a regression task", nameof(method));
        _model = model;
        _tokenizer = tokenizer;
        _method = method;
        _options = options;
    }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes.</summary>
    public int TotalSteps(int trainCount) => _options.MaxSteps > 0 ? _options.MaxSteps
        : Math.Max(1, (int)Math.Ceiling(_options.NumTrainEpochs * ((trainCount + _options.BatchSize - 1) / _options.BatchSize)));

    /// <summary>Trains and writes the folder; returns the classifier.</summary>
    public EarlyExitClassifier Train(EncodedDataset train, string outputDir, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        var o = _options;
        var heads = new ExitHeads(_model, _method);
        heads.Initialize(o.Seed);
        int layers = _model.Config.NumHiddenLayers;
        if (_method == EarlyExitMethod.Pabee)
        {
            _model.Parameters.Span("classifier.weight").CopyTo(heads.Parameters.Span($"exits.{layers - 1}.classifier.weight"));
            _model.Parameters.Span("classifier.bias").CopyTo(heads.Parameters.Span($"exits.{layers - 1}.classifier.bias"));
            heads.Parameters.MarkChanged();
        }
        var headGrads = heads.Parameters.CreateLike();
        var headOptimizer = new AdamW(heads.Parameters, headGrads, new AdamWOptions(o.HeadLearningRate, 0.9, 0.999, 1e-8, 0.0));
        ParameterSet? backboneGrads = null;
        AdamW? backboneOptimizer = null;
        if (_method == EarlyExitMethod.Pabee)
        {
            backboneGrads = _model.Parameters.CreateLike();
            backboneOptimizer = new AdamW(_model.Parameters, backboneGrads, new AdamWOptions(o.BackboneLearningRate, 0.9, 0.999, 1e-8, 0.01));
        }
        int total = TotalSteps(train.Count), batchesPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize, globalStep = 0;
        var schedule = LearningRateSchedule.Create("linear", total, null, o.WarmupRatio);
        var step = new ExitTrainingStep(_model, heads);
        Directory.CreateDirectory(outputDir);
        string logPath = Path.Combine(outputDir, TrainingLog.FileName);
        if (File.Exists(logPath)) File.Delete(logPath);
        var clock = Stopwatch.StartNew();
        long examples = 0, tokens = 0;
        var labels = new int[o.BatchSize];
        var targets = new float[o.BatchSize];
        using (var log = new TrainingLog(logPath))
        {
            for (int epoch = 0; globalStep < total && !cancellation.IsCancellationRequested; epoch++)
            {
                var batches = BatchPlan.ForEpoch(train.Lengths, o.BatchSize, shuffle: true, o.Seed, epoch);
                for (int bi = 0; bi < batches.Count && globalStep < total && !cancellation.IsCancellationRequested; bi++)
                {
                    int[] indices = batches[bi];
                    var batch = train.Batch(indices, _model.Config.PadTokenId);
                    for (int r = 0; r < indices.Length; r++) { labels[r] = train.Labels[indices[r]]; targets[r] = train.Scores[indices[r]]; }
                    Gradients.Zero(headGrads);
                    if (backboneGrads is not null) Gradients.Zero(backboneGrads);
                    ulong seed = Dropout.Hash((ulong)o.Seed, (ulong)((long)epoch * batchesPerEpoch + bi));
                    float loss = step.ForwardBackward(batch,
                        _model.IsRegression ? default : labels.AsSpan(0, indices.Length),
                        _model.IsRegression ? targets.AsSpan(0, indices.Length) : default, headGrads, backboneGrads, seed);
                    double norm = o.MaxGradNorm > 0 ? Gradients.ClipGlobalNorm(headGrads, o.MaxGradNorm) : Gradients.GlobalNorm(headGrads);
                    if (backboneGrads is not null && o.MaxGradNorm > 0) Gradients.ClipGlobalNorm(backboneGrads, o.MaxGradNorm);
                    globalStep++;
                    double factor = schedule.RateAt(globalStep, 1.0);
                    headOptimizer.Step(o.HeadLearningRate * factor);
                    backboneOptimizer?.Step(o.BackboneLearningRate * factor);
                    examples += indices.Length;
                    tokens += train.TokenCount(indices);
                    double epochPosition = epoch + (bi + 1.0) / batchesPerEpoch;
                    log.Step(globalStep, epochPosition, loss, o.HeadLearningRate * factor, norm);
                    double seconds = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                    progress?.Report(new TrainingProgress(TrainingEventKind.Step, globalStep, total, epochPosition, loss, o.HeadLearningRate * factor, norm,
                        examples / seconds, tokens / seconds, clock.Elapsed, TimeSpan.FromSeconds(seconds / globalStep * (total - globalStep))));
                }
            }
        }
        EarlyExitFolder.Save(outputDir, _model, _tokenizer, heads, [logPath]);
        return new EarlyExitClassifier(_model, heads);
    }
}
