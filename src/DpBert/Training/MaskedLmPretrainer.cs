using System.Diagnostics;
using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>Knobs of masked-LM pre-training (flags of <c>dpbert pretrain</c> in brackets).</summary>
public sealed record PretrainingOptions
{
    /// <summary>[--max-steps] optimizer steps; -1 means use <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary>[--num-train-epochs] passes over the corpus.</summary>
    public double NumTrainEpochs { get; init; } = 1;
    /// <summary>[--per-device-train-batch-size] sentences per step.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>
    /// [--learning-rate] peak rate. 3e-4 by measurement: at 1e-3 a one-epoch run of bert-mini collapsed
    /// (every token's hidden state the same, MLM loss stuck at the unigram level ~7.5).
    /// </summary>
    public double LearningRate { get; init; } = 3e-4;
    /// <summary>[--warmup-ratio] linear warm-up fraction.</summary>
    public double WarmupRatio { get; init; } = 0.05;
    /// <summary>[--weight-decay] decoupled decay (not on biases and LayerNorm).</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>[--max-seq-length] sentences are truncated to this many tokens.</summary>
    public int MaxSeqLength { get; init; } = 64;
    /// <summary>[--mlm-probability] fraction of tokens chosen for prediction.</summary>
    public double MaskProbability { get; init; } = 0.15;
    /// <summary>[--max-grad-norm] clip; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>[--seed] shuffling, masking and dropout.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Checks every value; the message names the flag.</summary>
    public void Validate()
    {
        if (MaxSteps is not -1 and < 1) throw new ArgumentException($"--max-steps {MaxSteps}: must be positive, or -1 for epochs");
        if (NumTrainEpochs <= 0 && MaxSteps < 1) throw new ArgumentException($"--num-train-epochs {NumTrainEpochs}: must be positive");
        if (BatchSize < 1) throw new ArgumentException($"--per-device-train-batch-size {BatchSize}: must be at least 1");
        if (!(LearningRate > 0)) throw new ArgumentException($"--learning-rate {LearningRate}: must be positive");
        if (WarmupRatio is < 0 or > 1) throw new ArgumentException($"--warmup-ratio {WarmupRatio}: must be in [0, 1]");
        if (MaxSeqLength < 3) throw new ArgumentException($"--max-seq-length {MaxSeqLength}: must be at least 3");
        if (MaskProbability is <= 0 or >= 1) throw new ArgumentException($"--mlm-probability {MaskProbability}: must be in (0, 1)");
    }
}

/// <summary>
/// Pre-trains a <see cref="BertForMaskedLM"/> on plain sentences: shuffled, length-bucketed batches, the
/// 80/10/10 masking recipe, AdamW with linear warm-up and decay. Writes the model folder (with the
/// <c>cls.predictions</c> head, loadable for fine-tuning) and <c>training_log.jsonl</c>; on cancellation it
/// writes the model as it is.
/// </summary>
public sealed class MaskedLmPretrainer(BertForMaskedLM model, BertTokenizer tokenizer, PretrainingOptions options)
{
    /// <summary>Runs pre-training over <paramref name="sentences"/> and saves to <paramref name="outputDir"/>.</summary>
    public TrainingResult Train(IReadOnlyList<string> sentences, string outputDir, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var o = options;
        var examples = sentences.Select(s => new LabeledExample(s, null, null)).ToList();
        var data = new EncodedDataset(examples, tokenizer, o.MaxSeqLength);
        var parameters = model.Parameters;
        var grads = parameters.CreateLike();
        var acts = new BertTrainingActivations(model.Config);
        var optimizer = new AdamW(parameters, grads, new AdamWOptions(o.LearningRate, WeightDecay: o.WeightDecay));
        int batchesPerEpoch = (data.Count + o.BatchSize - 1) / o.BatchSize;
        int total = o.MaxSteps > 0 ? o.MaxSteps : Math.Max(1, (int)Math.Ceiling(o.NumTrainEpochs * batchesPerEpoch));
        var schedule = LearningRateSchedule.Create("linear", total, warmupRatio: o.WarmupRatio);
        Directory.CreateDirectory(outputDir);
        string logPath = Path.Combine(outputDir, TrainingLog.FileName);
        if (File.Exists(logPath)) File.Delete(logPath);
        using var log = new TrainingLog(logPath);
        var special = tokenizer.SpecialTokens;
        var clock = Stopwatch.StartNew();
        long examplesDone = 0, tokensDone = 0;
        double lossSum = 0;
        int step = 0;
        bool cancelled = false;
        for (int epoch = 0; step < total && !cancelled; epoch++)
        {
            var batches = BatchPlan.ForEpoch(data.Lengths, o.BatchSize, shuffle: true, o.Seed, epoch);
            for (int bi = 0; bi < batches.Count && step < total; bi++)
            {
                var batch = data.Batch(batches[bi], model.Config.PadTokenId);
                var rng = new Random(unchecked(o.Seed * 7919 + step));
                int[] labels = MaskedLanguageModeling.Mask(batch, special, model.Config.VocabSize, o.MaskProbability, rng);
                Gradients.Zero(grads);
                float loss = model.ForwardBackward(batch, labels, acts, grads, Dropout.Hash((ulong)o.Seed, (ulong)step));
                double norm = o.MaxGradNorm > 0 ? Gradients.ClipGlobalNorm(grads, o.MaxGradNorm) : Gradients.GlobalNorm(grads);
                step++;
                double lr = schedule.RateAt(step, o.LearningRate);
                optimizer.Step(lr);
                lossSum += loss;
                examplesDone += batches[bi].Length;
                tokensDone += data.TokenCount(batches[bi]);
                double epochFraction = epoch + (bi + 1.0) / batchesPerEpoch;
                log.Step(step, epochFraction, loss, lr, norm);
                double seconds = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress?.Report(new TrainingProgress(TrainingEventKind.Step, step, total, epochFraction, loss, lr, norm,
                    examplesDone / seconds, tokensDone / seconds, clock.Elapsed, TimeSpan.FromSeconds(seconds / step * (total - step))));
                if (cancellation.IsCancellationRequested) { cancelled = true; break; }
            }
        }
        AtomicFolder.Write(Path.Combine(outputDir, "model"), temp => TrainingCheckpoint.WriteModelFiles(temp, model.Config, parameters, tokenizer));
        // The model files also at the top of the output folder, so --model <output> works directly.
        foreach (string file in Directory.GetFiles(Path.Combine(outputDir, "model")))
            File.Copy(file, Path.Combine(outputDir, Path.GetFileName(file)), overwrite: true);
        progress?.Report(new TrainingProgress(TrainingEventKind.Checkpoint, step, total, 0, double.NaN, double.NaN, double.NaN, 0, 0, clock.Elapsed, TimeSpan.Zero, CheckpointPath: outputDir));
        double total_s = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
        return new TrainingResult(step, step == 0 ? double.NaN : lossSum / step, null, null, cancelled, false, outputDir, clock.Elapsed, examplesDone / total_s, tokensDone / total_s);
    }
}
