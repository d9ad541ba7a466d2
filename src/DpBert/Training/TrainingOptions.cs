namespace DpBert.Training;

/// <summary>
/// Knobs of a fine-tuning run, named and defaulted as Hugging Face's <c>TrainingArguments</c> /
/// <c>run_glue.py</c> where they overlap (the command line flag is given with each).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary><c>--num-train-epochs</c>: passes over the training set (ignored when <see cref="MaxSteps"/> &gt; 0).</summary>
    public double NumTrainEpochs { get; init; } = 3;
    /// <summary><c>--max-steps</c>: total optimizer steps; -1 means use <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary><c>--per-device-train-batch-size</c>: examples per micro-batch.</summary>
    public int PerDeviceTrainBatchSize { get; init; } = 32;
    /// <summary><c>--per-device-eval-batch-size</c>: examples per evaluation batch.</summary>
    public int PerDeviceEvalBatchSize { get; init; } = 64;
    /// <summary><c>--learning-rate</c>: peak AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 5e-5;
    /// <summary><c>--warmup-steps</c>: linear warm-up length in optimizer steps.</summary>
    public int? WarmupSteps { get; init; }
    /// <summary><c>--warmup-ratio</c>: warm-up as a fraction of all steps (ceil). Not together with <see cref="WarmupSteps"/>.</summary>
    public double? WarmupRatio { get; init; }
    /// <summary><c>--weight-decay</c>: decoupled decay, not applied to biases and LayerNorm weights.</summary>
    public double WeightDecay { get; init; }
    /// <summary>
    /// <c>--layer-lr-decay</c>: layer-wise learning-rate decay <c>d</c> in (0, 1] (<see cref="LayerwiseLearningRate"/>):
    /// encoder layer <c>i</c> of <c>L</c> trains at <c>lr · d^(L - i)</c>, the embeddings at <c>lr · d^(L + 1)</c>, the
    /// pooler and classifier at <c>lr</c>. 1 (the default) gives every parameter the same rate.
    /// </summary>
    public double LayerLrDecay { get; init; } = 1;
    /// <summary><c>--adam-beta1</c>.</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary><c>--adam-beta2</c>.</summary>
    public double AdamBeta2 { get; init; } = 0.999;
    /// <summary><c>--adam-epsilon</c>.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary><c>--max-grad-norm</c>: global gradient-norm clip; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary><c>--lr-scheduler-type</c>: linear, constant, constant_with_warmup or cosine.</summary>
    public string LrSchedulerType { get; init; } = "linear";
    /// <summary><c>--gradient-accumulation-steps</c>: micro-batches per optimizer step.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;
    /// <summary><c>--seed</c>: shuffling, dropout masks and new heads.</summary>
    public int Seed { get; init; } = 42;
    /// <summary><c>--max-seq-length</c>: inputs are truncated (longest_first) to this many tokens.</summary>
    public int MaxSeqLength { get; init; } = 128;
    /// <summary><c>--eval-steps</c>: evaluate every N optimizer steps (also at each epoch end); null: epoch ends only.</summary>
    public int? EvalSteps { get; init; }
    /// <summary><c>--max-train-samples</c>: keep the first N training rows in file order.</summary>
    public int? MaxTrainSamples { get; init; }
    /// <summary><c>--max-eval-samples</c>: keep the first N evaluation rows in file order.</summary>
    public int? MaxEvalSamples { get; init; }
    /// <summary>False for <c>--no-shuffle</c>: batches in file order, no length bucketing.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary><c>--early-stopping-patience</c>: stop after N evaluations without improvement; null: never.</summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary><c>--hidden-dropout-prob</c>: overrides the model configuration's value.</summary>
    public float? HiddenDropoutProb { get; init; }
    /// <summary><c>--attention-probs-dropout-prob</c>: overrides the model configuration's value.</summary>
    public float? AttentionProbsDropoutProb { get; init; }

    /// <summary>
    /// <c>--pooler-input</c>: what the classifier's pooler reads, the [CLS] row or the mean of the real tokens
    /// (<see cref="Bert.BertConfig.PoolerInput"/>); null keeps the model's own (its <c>config.json</c>, [CLS] when it says nothing).
    /// </summary>
    public Bert.TokenPooling? PoolerInput { get; init; }

    /// <summary>
    /// <c>--layer-drop</c>: during training, each input bypasses each layer after the first with this
    /// probability (DPBERT's optional stage-one robustness; 0 = off).
    /// </summary>
    public double LayerDrop { get; init; }

    /// <summary>
    /// <c>--num-hidden-layers</c>: keep only the encoder's first N layers of the model fine-tuned from (a shallower, faster
    /// model; the later layers' weights are left out, as Hugging Face's <c>from_pretrained(..., num_hidden_layers=N)</c>
    /// does); null keeps them all. Not more than the model has.
    /// </summary>
    public int? NumHiddenLayers { get; init; }

    /// <summary>
    /// <c>--rdrop-alpha</c>: R-Drop's weight (<see cref="RDrop"/>): each batch runs forward twice with different dropout
    /// masks and the loss adds alpha times the two passes' disagreement; 0 (the default) is off. A step then costs two.
    /// </summary>
    public double RDropAlpha { get; init; }

    /// <summary>The loop settings of a fine-tuning run (its main metric is given to <see cref="Trainer.Train(EncodedDataset, EncodedDataset?, MetricFunction, string, string, IProgress{TrainingProgress}?, CancellationToken, string?)"/>).</summary>
    public TrainingLoopOptions ToLoopOptions() => new()
    {
        NumTrainEpochs = NumTrainEpochs, MaxSteps = MaxSteps, BatchSize = PerDeviceTrainBatchSize, GradientAccumulationSteps = GradientAccumulationSteps,
        Schedule = LrSchedulerType, WarmupSteps = WarmupSteps, WarmupRatio = WarmupRatio, MaxGradNorm = MaxGradNorm, Seed = Seed,
        Shuffle = Shuffle, EvalSteps = EvalSteps, EarlyStoppingPatience = EarlyStoppingPatience,
    };

    /// <summary>Checks every value; the message names the flag and the value.</summary>
    /// <exception cref="ArgumentException">A value is out of range or two options contradict.</exception>
    public void Validate()
    {
        void Require(bool ok, string flag, object? value, string rule)
        {
            if (!ok) throw new ArgumentException($"{flag} {value}: {rule}");
        }
        Require(NumTrainEpochs > 0 || MaxSteps > 0, "--num-train-epochs", NumTrainEpochs, "must be positive (or give --max-steps)");
        Require(MaxSteps == -1 || MaxSteps > 0, "--max-steps", MaxSteps, "must be positive, or -1 for epochs");
        Require(PerDeviceTrainBatchSize >= 1, "--per-device-train-batch-size", PerDeviceTrainBatchSize, "must be at least 1");
        Require(PerDeviceEvalBatchSize >= 1, "--per-device-eval-batch-size", PerDeviceEvalBatchSize, "must be at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "--learning-rate", LearningRate, "must be a positive number");
        Require(WarmupSteps is null || WarmupRatio is null, "--warmup-steps", WarmupSteps, "give either --warmup-steps or --warmup-ratio, not both");
        Require(WarmupSteps is null or >= 0, "--warmup-steps", WarmupSteps, "must not be negative");
        Require(WarmupRatio is null or (>= 0 and <= 1), "--warmup-ratio", WarmupRatio, "must be in [0, 1]");
        Require(WeightDecay >= 0, "--weight-decay", WeightDecay, "must not be negative");
        Require(LayerLrDecay is > 0 and <= 1, "--layer-lr-decay", LayerLrDecay, "must be in (0, 1]");
        Require(AdamBeta1 is >= 0 and < 1, "--adam-beta1", AdamBeta1, "must be in [0, 1)");
        Require(AdamBeta2 is >= 0 and < 1, "--adam-beta2", AdamBeta2, "must be in [0, 1)");
        Require(AdamEpsilon > 0, "--adam-epsilon", AdamEpsilon, "must be positive");
        Require(MaxGradNorm >= 0, "--max-grad-norm", MaxGradNorm, "must not be negative");
        Require(GradientAccumulationSteps >= 1, "--gradient-accumulation-steps", GradientAccumulationSteps, "must be at least 1");
        Require(MaxSeqLength >= 2, "--max-seq-length", MaxSeqLength, "must be at least 2");
        Require(EvalSteps is null or >= 1, "--eval-steps", EvalSteps, "must be at least 1");
        Require(MaxTrainSamples is null or >= 1, "--max-train-samples", MaxTrainSamples, "must be at least 1");
        Require(MaxEvalSamples is null or >= 1, "--max-eval-samples", MaxEvalSamples, "must be at least 1");
        Require(EarlyStoppingPatience is null or >= 1, "--early-stopping-patience", EarlyStoppingPatience, "must be at least 1");
        Require(LayerDrop is >= 0 and < 1, "--layer-drop", LayerDrop, "must be in [0, 1)");
        Require(NumHiddenLayers is null or >= 1, "--num-hidden-layers", NumHiddenLayers, "must be at least 1");
        Require(RDropAlpha >= 0 && double.IsFinite(RDropAlpha), "--rdrop-alpha", RDropAlpha, "must be a number, 0 or more");
        Require(HiddenDropoutProb is null or (>= 0 and < 1), "--hidden-dropout-prob", HiddenDropoutProb, "must be in [0, 1)");
        Require(AttentionProbsDropoutProb is null or (>= 0 and < 1), "--attention-probs-dropout-prob", AttentionProbsDropoutProb, "must be in [0, 1)");
        _ = LearningRateSchedule.ParseKind(LrSchedulerType);
    }
}
