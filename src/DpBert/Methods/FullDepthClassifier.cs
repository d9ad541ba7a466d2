using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Methods;

/// <summary>The fine-tuned model at full depth: the reference every method is compared with.</summary>
public sealed class FullDepthMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static FullDepthMethod Instance { get; } = new();
    private FullDepthMethod() { }

    /// <inheritdoc/>
    public override string Name => "full";
    /// <inheritdoc/>
    public override string Description => "the fine-tuned model, every layer for every input";
    /// <inheritdoc/>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null) => new FullDepthClassifier(fineTuned.Model);
}

/// <summary>The fine-tuned model at full depth, as an <see cref="IAdaptiveClassifier"/> (its knob is ignored).</summary>
public sealed class FullDepthClassifier(BertForSequenceClassification model) : IAdaptiveClassifier
{
    /// <inheritdoc/>
    public AdaptiveMethod Method => FullDepthMethod.Instance;
    /// <inheritdoc/>
    public BertForSequenceClassification Model => model;

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob) =>
        new(model.Forward(batch), Enumerable.Repeat(LayerPlan.Full(model.Config.NumHiddenLayers), batch.BatchSize).ToArray());
}
