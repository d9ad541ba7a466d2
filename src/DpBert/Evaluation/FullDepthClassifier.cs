using DpBert.Bert;
using DpBert.Planning;

namespace DpBert.Evaluation;

/// <summary>The fine-tuned model at full depth: the reference every method is compared with.</summary>
public sealed class FullDepthClassifier(BertForSequenceClassification model) : IAdaptiveClassifier
{
    /// <inheritdoc/>
    public string Method => "full";
    /// <inheritdoc/>
    public string KnobName => "";
    /// <inheritdoc/>
    public int LayerCount => model.Config.NumHiddenLayers;
    /// <inheritdoc/>
    public int NumLabels => model.Config.NumLabels;
    /// <inheritdoc/>
    public int PadTokenId => model.Config.PadTokenId;
    /// <inheritdoc/>
    public void ValidateKnob(double knob) { }

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob) =>
        new(model.Forward(batch), Enumerable.Repeat(LayerPlan.Full(LayerCount), batch.BatchSize).ToArray());
}
