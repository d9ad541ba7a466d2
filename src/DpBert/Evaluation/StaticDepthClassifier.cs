using DpBert.Bert;
using DpBert.Planning;

namespace DpBert.Evaluation;

/// <summary>
/// Static depth: the first m layers of the fine-tuned model, then its pooler and classifier (knob <c>depth</c>,
/// 1..L). The simplest baseline; no training beyond the full model's.
/// </summary>
public sealed class StaticDepthClassifier(BertForSequenceClassification model) : IAdaptiveClassifier
{
    private readonly PlannedExecution _execution = new(model);

    /// <inheritdoc/>
    public string Method => "static";
    /// <inheritdoc/>
    public string KnobName => "depth";
    /// <inheritdoc/>
    public int LayerCount => model.Config.NumHiddenLayers;
    /// <inheritdoc/>
    public int NumLabels => model.Config.NumLabels;
    /// <inheritdoc/>
    public int PadTokenId => model.Config.PadTokenId;

    /// <inheritdoc/>
    public void ValidateKnob(double knob)
    {
        if (knob != Math.Floor(knob) || knob < 1 || knob > LayerCount)
            throw new ArgumentOutOfRangeException(nameof(knob), $"static depth {knob} must be a whole number of layers in [1, {LayerCount}]");
    }

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        ValidateKnob(knob);
        var plans = Enumerable.Repeat(LayerPlan.FirstLayers(LayerCount, (int)knob), batch.BatchSize).ToArray();
        return new(_execution.Forward(batch, plans), plans);
    }
}
