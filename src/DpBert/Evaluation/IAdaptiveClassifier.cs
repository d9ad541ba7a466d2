using DpBert.Bert;
using DpBert.Planning;

namespace DpBert.Evaluation;

/// <summary>
/// A classifier whose depth adapts to the input through one run-time knob: DPBERT (theta), DeeBERT (entropy
/// threshold), PABEE (patience), static depth (layers) or the full model (no knob). Every implementation
/// returns, with the logits, the layers each row actually ran.
/// </summary>
public interface IAdaptiveClassifier
{
    /// <summary>Method name used in result records (<c>full</c>, <c>dpbert</c>, <c>deebert</c>, <c>pabee</c>, <c>static</c>).</summary>
    string Method { get; }
    /// <summary>Name of the knob (empty for the full model).</summary>
    string KnobName { get; }
    /// <summary>Encoder layers of the backbone.</summary>
    int LayerCount { get; }
    /// <summary>Outputs per input (1 for regression).</summary>
    int NumLabels { get; }
    /// <summary>Padding token id of the backbone.</summary>
    int PadTokenId { get; }
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the knob when <paramref name="knob"/> is not allowed.</summary>
    void ValidateKnob(double knob);
    /// <summary>Classifies a batch at <paramref name="knob"/>: logits (B, num_labels) and one plan per row.</summary>
    AdaptiveOutput Classify(BertBatch batch, double knob);
}

/// <summary>Logits of a batch and the layers each row ran.</summary>
/// <param name="Logits">(B, num_labels), row-major.</param>
/// <param name="Plans">One per row.</param>
public sealed record AdaptiveOutput(float[] Logits, IReadOnlyList<LayerPlan> Plans);
