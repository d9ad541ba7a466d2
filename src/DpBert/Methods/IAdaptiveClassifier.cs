using DpBert.Bert;

namespace DpBert.Methods;

/// <summary>
/// A classifier whose depth adapts to the input through one run-time knob: DPBERT (theta), DeeBERT (entropy
/// threshold), PABEE (patience), static depth (layers) or the full model (no knob). Every implementation runs
/// its backbone through <see cref="BertModel.Forward"/> with a policy of its own and returns, with the logits,
/// the layers each row actually ran.
/// </summary>
public interface IAdaptiveClassifier
{
    /// <summary>The method: its name, its knob and how to sweep it.</summary>
    AdaptiveMethod Method { get; }
    /// <summary>The backbone (configuration, label names, probabilities).</summary>
    BertForSequenceClassification Model { get; }
    /// <summary>Classifies a batch at <paramref name="knob"/> (checked with <see cref="AdaptiveMethod.ValidateKnob"/>).</summary>
    AdaptiveOutput Classify(BertBatch batch, double knob);
}

/// <summary>Logits of a batch and the layers each row ran.</summary>
/// <param name="Logits">(B, num_labels), row-major.</param>
/// <param name="Plans">One per row.</param>
/// <param name="LayerProbabilities">Per row and layer (L values), the planner's probability of running the layer,
/// or null where no planner decided (always-run layers, methods without a planner); null for such methods.</param>
public sealed record AdaptiveOutput(float[] Logits, IReadOnlyList<LayerPlan> Plans, IReadOnlyList<IReadOnlyList<double?>>? LayerProbabilities = null);
