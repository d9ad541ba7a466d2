using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>
/// Fine-tuning a <see cref="BertForSequenceClassification"/> on its task (cross-entropy, or mean squared error for
/// regression), optionally with random layer drop (<see cref="LayerDropHook"/>, DPBERT's optional stage one) and
/// distillation from teachers' logits (<see cref="TeacherTargets"/>). One parameter group, <c>model</c>, with layer-wise learning rates when <see cref="TrainingOptions.LayerLrDecay"/> is below 1.
/// </summary>
public sealed class ClassificationObjective : ITrainingObjective
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly BertTrainingActivations _acts;
    private readonly LayerDropHook? _layerDrop;
    private readonly TeacherTargets? _teacher;

    /// <summary>
    /// Fine-tunes <paramref name="model"/> with the optimizer settings, layer-wise rates and layer drop of <paramref name="options"/>,
    /// and distillation from <paramref name="teacher"/> when given (its logits for every row of the training set the loop is given).
    /// </summary>
    public ClassificationObjective(BertForSequenceClassification model, BertTokenizer tokenizer, TrainingOptions options, TeacherTargets? teacher = null)
    {
        teacher?.Validate();
        _model = model;
        _teacher = teacher;
        _tokenizer = tokenizer;
        _acts = new BertTrainingActivations(model.Config);
        _layerDrop = options.LayerDrop > 0 ? new LayerDropHook(options.LayerDrop) : null;
        Groups = [new ParameterGroup("model", model.Parameters,
            new AdamWOptions(options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay), Checkpoints.ModelFolder.WeightsFileName,
            LayerwiseLearningRate.Scales(model.Config.NumHiddenLayers, options.LayerLrDecay))];
    }

    /// <inheritdoc/>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <inheritdoc/>
    public ObjectiveStep ForwardBackward(EncodedDataset data, int[] indices, IReadOnlyList<ParameterSet> gradients, StepContext context)
    {
        var batch = data.Batch(indices, _model.Config.PadTokenId);
        _layerDrop?.Begin(context.Seed);
        ReadOnlySpan<int> labels = _model.IsRegression ? default : data.LabelsOf(indices);
        ReadOnlySpan<float> targets = _model.IsRegression ? data.ScoresOf(indices) : default;
        if (_teacher is null) return new ObjectiveStep(_model.ForwardBackward(batch, _acts, gradients[0], labels, targets, context.Seed, _layerDrop).Loss);

        int n = _model.Config.NumLabels;
        if (_teacher.Logits.Length != data.Count * n)
            throw new ArgumentException($"the teachers' logits cover {_teacher.Logits.Length / n} rows, the training set has {data.Count}", nameof(data));
        var logits = _model.ForwardTraining(batch, _acts, context.Seed, _layerDrop);
        var dLogits = new float[logits.Length];
        float taskLoss = _model.TaskLoss(dLogits, logits, labels, targets, indices.Length);
        var teacher = new float[logits.Length];
        for (int r = 0; r < indices.Length; r++) _teacher.Logits.AsSpan(indices[r] * n, n).CopyTo(teacher.AsSpan(r * n, n));
        double loss = Distillation.Blend(dLogits, taskLoss, logits, teacher, indices.Length, n, _model.IsRegression, _teacher.Weight, _teacher.Temperature);
        _model.BackwardFromLogits(batch, _acts, gradients[0], dLogits, _layerDrop);
        return new ObjectiveStep(loss, new Dictionary<string, double> { ["task_loss"] = taskLoss });
    }

    /// <inheritdoc/>
    public void WriteModel(string folder) => TrainingCheckpoint.WriteModelFiles(folder, _model.Config, _model.Parameters, _tokenizer);
}
