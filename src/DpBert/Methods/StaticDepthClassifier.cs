using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Methods;

/// <summary>
/// Static depth: the first m layers of the fine-tuned model, then its pooler and classifier (knob <c>depth</c>,
/// 1..L). The simplest baseline; no training beyond the full model's.
/// </summary>
public sealed class StaticDepthMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static StaticDepthMethod Instance { get; } = new();
    private StaticDepthMethod() { }

    /// <inheritdoc/>
    public override string Name => "static";
    /// <inheritdoc/>
    public override string Description => "the first m layers of the fine-tuned model for every input";
    /// <inheritdoc/>
    public override Knob Knob { get; } = new("depth", "layers run, from the first", WholeNumber: true);

    /// <inheritdoc/>
    public override void ValidateKnob(double value, BertConfig config)
    {
        if (value != Math.Floor(value) || value < 1 || value > config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(value), $"static depth {value} must be a whole number of layers in [1, {config.NumHiddenLayers}]");
    }

    /// <inheritdoc/>
    public override double DefaultKnob(BertConfig config) => (config.NumHiddenLayers + 1) / 2;

    /// <inheritdoc/>
    public override IReadOnlyList<double> SweepGrid(BertConfig config) => Enumerable.Range(1, config.NumHiddenLayers).Select(m => (double)m).ToArray();

    /// <inheritdoc/>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null) => new StaticDepthClassifier(fineTuned.Model);
}

/// <summary>Static depth on a fine-tuned model: every input runs the first <c>depth</c> layers.</summary>
public sealed class StaticDepthClassifier(BertForSequenceClassification model) : IAdaptiveClassifier
{
    /// <inheritdoc/>
    public AdaptiveMethod Method => StaticDepthMethod.Instance;
    /// <inheritdoc/>
    public BertForSequenceClassification Model => model;

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        Method.ValidateKnob(knob, model.Config);
        var plan = LayerPlan.FirstLayers(model.Config.NumHiddenLayers, (int)knob);
        return new(model.Forward(batch, new FixedPlans(plan)), Enumerable.Repeat(plan, batch.BatchSize).ToArray());
    }
}
