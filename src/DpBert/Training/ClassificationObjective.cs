using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>
/// Fine-tuning a <see cref="BertForSequenceClassification"/> on its task (cross-entropy, or mean squared error for
/// regression), optionally with random layer drop (<see cref="LayerDropHook"/>, DPBERT's optional stage one).
/// One parameter group, <c>model</c>, with layer-wise learning rates when <see cref="TrainingOptions.LayerLrDecay"/> is below 1.
/// </summary>
public sealed class ClassificationObjective : ITrainingObjective
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly BertTrainingActivations _acts;
    private readonly LayerDropHook? _layerDrop;

    /// <summary>Fine-tunes <paramref name="model"/> with the optimizer settings, layer-wise rates and layer drop of <paramref name="options"/>.</summary>
    public ClassificationObjective(BertForSequenceClassification model, BertTokenizer tokenizer, TrainingOptions options)
    {
        _model = model;
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
        var (loss, _) = _model.IsRegression
            ? _model.ForwardBackward(batch, _acts, gradients[0], default, data.ScoresOf(indices), context.Seed, _layerDrop)
            : _model.ForwardBackward(batch, _acts, gradients[0], data.LabelsOf(indices), default, context.Seed, _layerDrop);
        return new ObjectiveStep(loss);
    }

    /// <inheritdoc/>
    public void WriteModel(string folder) => TrainingCheckpoint.WriteModelFiles(folder, _model.Config, _model.Parameters, _tokenizer);
}
