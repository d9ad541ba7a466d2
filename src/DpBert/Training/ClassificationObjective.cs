using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>
/// Fine-tuning a <see cref="BertForSequenceClassification"/> on its task (cross-entropy, or mean squared error for
/// regression), optionally with random layer drop (<see cref="LayerDropHook"/>, DPBERT's optional stage one) and
/// distillation from teachers' logits (<see cref="TeacherTargets"/>) and R-Drop (<see cref="RDrop"/>, two passes a batch). One parameter group, <c>model</c>, with layer-wise learning rates when <see cref="TrainingOptions.LayerLrDecay"/> is below 1.
/// </summary>
public sealed class ClassificationObjective : ITrainingObjective
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly BertTrainingActivations _acts;
    private readonly BertTrainingActivations? _secondPass;
    private readonly double _rdropAlpha;
    private readonly LayerDropHook? _layerDrop;
    private readonly TeacherTargets? _teacher;

    /// <summary>
    /// Fine-tunes <paramref name="model"/> with the optimizer settings, layer-wise rates, layer drop and R-Drop of <paramref name="options"/>,
    /// and distillation from <paramref name="teacher"/> when given (its logits for every row of the training set the loop is given).
    /// </summary>
    public ClassificationObjective(BertForSequenceClassification model, BertTokenizer tokenizer, TrainingOptions options, TeacherTargets? teacher = null)
    {
        teacher?.Validate();
        _model = model;
        _teacher = teacher;
        _tokenizer = tokenizer;
        _acts = new BertTrainingActivations(model.Config);
        _rdropAlpha = options.RDropAlpha;
        _secondPass = _rdropAlpha > 0 ? new BertTrainingActivations(model.Config) : null;
        _layerDrop = options.LayerDrop > 0 ? new LayerDropHook(options.LayerDrop) : null;
        Groups = [new ParameterGroup("model", model.Parameters,
            new AdamWOptions(options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay), Checkpoints.ModelFolder.WeightsFileName,
            LayerwiseLearningRate.Scales(model.Config.NumHiddenLayers, options.LayerLrDecay))];
    }

    /// <inheritdoc/>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <inheritdoc/>
    public string? TargetsFingerprint => _teacher?.Fingerprint();

    /// <inheritdoc/>
    public ObjectiveStep ForwardBackward(EncodedDataset data, int[] indices, IReadOnlyList<ParameterSet> gradients, StepContext context)
    {
        var batch = data.Batch(indices, _model.Config.PadTokenId);
        _layerDrop?.Begin(context.Seed);
        ReadOnlySpan<int> labels = _model.IsRegression ? default : data.LabelsOf(indices);
        ReadOnlySpan<float> targets = _model.IsRegression ? data.ScoresOf(indices) : default;
        if (_teacher is null && _secondPass is null)
            return new ObjectiveStep(_model.ForwardBackward(batch, _acts, gradients[0], labels, targets, context.Seed, _layerDrop).Loss);

        int n = _model.Config.NumLabels, rows = indices.Length;
        float[]? teacher = _teacher is null ? null : TeacherRows(data, indices, n);
        // One pass, or R-Drop's two: the second with its own dropout masks (the layer drops of the step are shared).
        var passes = _secondPass is null ? new[] { _acts } : [_acts, _secondPass];
        var logits = new float[passes.Length][];
        var dLogits = new float[passes.Length][];
        double loss = 0, taskLoss = 0;
        for (int p = 0; p < passes.Length; p++)
        {
            ulong seed = p == 0 ? context.Seed : Tensors.Dropout.Hash(context.Seed, RDrop.SecondPassSalt);
            logits[p] = _model.ForwardTraining(batch, passes[p], seed, _layerDrop);
            dLogits[p] = new float[logits[p].Length];
            float task = _model.TaskLoss(dLogits[p], logits[p], labels, targets, rows);
            taskLoss += task;
            loss += teacher is null ? task
                : Distillation.Blend(dLogits[p], task, logits[p], teacher, rows, n, _model.IsRegression, _teacher!.Weight, _teacher.Temperature);
        }
        var values = new Dictionary<string, double>();
        if (teacher is not null) values["task_loss"] = taskLoss / passes.Length;
        if (passes.Length == 2)
        {
            var dA = new float[logits[0].Length];
            var dB = new float[logits[1].Length];
            double disagreement = RDrop.Disagreement(dA, dB, logits[0], logits[1], rows, n, _model.IsRegression);
            // Half the paper's l1 + l2 + alpha * disagreement (RDrop's summary says why).
            for (int i = 0; i < dA.Length; i++)
            {
                dLogits[0][i] = (float)((dLogits[0][i] + _rdropAlpha * dA[i]) / 2);
                dLogits[1][i] = (float)((dLogits[1][i] + _rdropAlpha * dB[i]) / 2);
            }
            loss = (loss + _rdropAlpha * disagreement) / 2;
            values["disagreement"] = disagreement;
        }
        for (int p = 0; p < passes.Length; p++) _model.BackwardFromLogits(batch, passes[p], gradients[0], dLogits[p], _layerDrop);
        return new ObjectiveStep(loss, values);
    }

    /// <summary>The teachers' logits of the batch's rows, in the batch's order.</summary>
    private float[] TeacherRows(EncodedDataset data, int[] indices, int n)
    {
        if (_teacher!.Logits.Length != data.Count * n)
            throw new ArgumentException($"the teachers' logits cover {_teacher.Logits.Length / n} rows, the training set has {data.Count}", nameof(data));
        var rows = new float[indices.Length * n];
        for (int r = 0; r < indices.Length; r++) _teacher.Logits.AsSpan(indices[r] * n, n).CopyTo(rows.AsSpan(r * n, n));
        return rows;
    }

    /// <inheritdoc/>
    public void WriteModel(string folder) => TrainingCheckpoint.WriteModelFiles(folder, _model.Config, _model.Parameters, _tokenizer);
}
