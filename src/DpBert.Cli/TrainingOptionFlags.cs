using System.CommandLine;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>The run_glue-compatible flags of <c>dpbert finetune</c>, bound to <see cref="TrainingOptions"/>.</summary>
internal sealed class TrainingOptionFlags
{
    private static readonly TrainingOptions Defaults = new();
    private readonly Option<int> _maxSeqLength = new("--max-seq-length") { Description = "Truncate inputs to this many tokens.", DefaultValueFactory = _ => Defaults.MaxSeqLength };
    private readonly Option<double> _learningRate = new("--learning-rate") { Description = "Peak AdamW learning rate.", DefaultValueFactory = _ => Defaults.LearningRate };
    private readonly Option<double> _epochs = new("--num-train-epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => Defaults.NumTrainEpochs };
    private readonly Option<int> _maxSteps = new("--max-steps") { Description = "Total optimizer steps (overrides epochs); -1: use epochs.", DefaultValueFactory = _ => -1 };
    private readonly Option<int> _batch = new("--per-device-train-batch-size") { Description = "Examples per micro-batch.", DefaultValueFactory = _ => Defaults.PerDeviceTrainBatchSize };
    private readonly Option<int> _evalBatch = new("--per-device-eval-batch-size") { Description = "Examples per evaluation batch.", DefaultValueFactory = _ => Defaults.PerDeviceEvalBatchSize };
    private readonly Option<int> _seed = new("--seed") { Description = "Seed for shuffling, dropout and new weights.", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<int?> _maxTrain = new("--max-train-samples") { Description = "Use only the first N training rows (file order)." };
    private readonly Option<int?> _maxEval = new("--max-eval-samples") { Description = "Use only the first N evaluation rows (file order)." };
    private readonly Option<int?> _warmupSteps = new("--warmup-steps") { Description = "Linear warm-up steps." };
    private readonly Option<double?> _warmupRatio = new("--warmup-ratio") { Description = "Warm-up as a fraction of all steps." };
    private readonly Option<double> _weightDecay = new("--weight-decay") { Description = "AdamW decoupled weight decay.", DefaultValueFactory = _ => Defaults.WeightDecay };
    private readonly Option<double> _layerLrDecay = new("--layer-lr-decay") { Description = "Layer-wise learning-rate decay d in (0, 1]: encoder layer i of L trains at lr*d^(L-i), the embeddings at lr*d^(L+1), the head at lr (1: off).", DefaultValueFactory = _ => Defaults.LayerLrDecay };
    private readonly Option<double> _beta1 = new("--adam-beta1") { Description = "AdamW beta1.", DefaultValueFactory = _ => Defaults.AdamBeta1 };
    private readonly Option<double> _beta2 = new("--adam-beta2") { Description = "AdamW beta2.", DefaultValueFactory = _ => Defaults.AdamBeta2 };
    private readonly Option<double> _epsilon = new("--adam-epsilon") { Description = "AdamW epsilon.", DefaultValueFactory = _ => Defaults.AdamEpsilon };
    private readonly Option<double> _maxGradNorm = new("--max-grad-norm") { Description = "Gradient-norm clip (0: off).", DefaultValueFactory = _ => Defaults.MaxGradNorm };
    private readonly Option<string> _scheduler = new("--lr-scheduler-type") { Description = "linear, constant, constant_with_warmup or cosine.", DefaultValueFactory = _ => Defaults.LrSchedulerType };
    private readonly Option<int> _accumulation = new("--gradient-accumulation-steps") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 };
    private readonly Option<float?> _hiddenDropout = new("--hidden-dropout-prob") { Description = "Override the config's hidden dropout." };
    private readonly Option<float?> _attentionDropout = new("--attention-probs-dropout-prob") { Description = "Override the config's attention dropout." };
    private readonly Option<double> _rdropAlpha = new("--rdrop-alpha") { Description = "R-Drop: run each batch twice with different dropout masks and add alpha times the two predictions' symmetric KL divergence (squared difference for regression) to the loss; a step costs two (0: off).", DefaultValueFactory = _ => 0 };
    private readonly Option<double> _layerDrop = new("--layer-drop") { Description = "Probability that an input bypasses each layer after the first during training (LayerDrop, so that the model tolerates skipped layers; 0 = off).", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _noShuffle = new("--no-shuffle") { Description = "Batches in file order, no length bucketing." };
    private readonly Option<int?> _evalSteps = new("--eval-steps") { Description = "Evaluate every N steps (and at each epoch end)." };
    private readonly Option<int?> _patience = new("--early-stopping-patience") { Description = "Stop after N evaluations without improvement." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _maxSeqLength, _learningRate, _epochs, _maxSteps, _batch, _evalBatch, _seed, _maxTrain, _maxEval,
            _warmupSteps, _warmupRatio, _weightDecay, _layerLrDecay, _beta1, _beta2, _epsilon, _maxGradNorm, _scheduler, _accumulation,
            _hiddenDropout, _attentionDropout, _layerDrop, _rdropAlpha, _noShuffle, _evalSteps, _patience })
            command.Options.Add(option);
    }

    public TrainingOptions Read(ParseResult p) => new()
    {
        MaxSeqLength = p.GetValue(_maxSeqLength),
        LearningRate = p.GetValue(_learningRate),
        NumTrainEpochs = p.GetValue(_epochs),
        MaxSteps = p.GetValue(_maxSteps),
        PerDeviceTrainBatchSize = p.GetValue(_batch),
        PerDeviceEvalBatchSize = p.GetValue(_evalBatch),
        Seed = p.GetValue(_seed),
        MaxTrainSamples = p.GetValue(_maxTrain),
        MaxEvalSamples = p.GetValue(_maxEval),
        WarmupSteps = p.GetValue(_warmupSteps),
        WarmupRatio = p.GetValue(_warmupRatio),
        WeightDecay = p.GetValue(_weightDecay),
        LayerLrDecay = p.GetValue(_layerLrDecay),
        AdamBeta1 = p.GetValue(_beta1),
        AdamBeta2 = p.GetValue(_beta2),
        AdamEpsilon = p.GetValue(_epsilon),
        MaxGradNorm = p.GetValue(_maxGradNorm),
        LrSchedulerType = p.GetValue(_scheduler)!,
        GradientAccumulationSteps = p.GetValue(_accumulation),
        HiddenDropoutProb = p.GetValue(_hiddenDropout),
        AttentionProbsDropoutProb = p.GetValue(_attentionDropout),
        Shuffle = !p.GetValue(_noShuffle),
        LayerDrop = p.GetValue(_layerDrop),
        RDropAlpha = p.GetValue(_rdropAlpha),
        EvalSteps = p.GetValue(_evalSteps),
        EarlyStoppingPatience = p.GetValue(_patience),
    };
}
