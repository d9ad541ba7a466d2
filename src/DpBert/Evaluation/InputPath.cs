using DpBert.Bert;

namespace DpBert.Evaluation;

/// <summary>
/// The path one input took through the encoder, ready to be shown: its word pieces, the prediction, and
/// which layers ran (with the planner's probability for the layers it decided).
/// </summary>
/// <param name="Text">The input text (a pair is joined with " ||| ").</param>
/// <param name="Tokens">Word pieces as the model saw them, [CLS] and [SEP] included.</param>
/// <param name="PredictedLabel">Predicted label name (or the score, for regression).</param>
/// <param name="Confidence">Probability of the predicted label (1 for regression).</param>
/// <param name="Plan">Which layers ran.</param>
/// <param name="LayerProbabilities">Per layer (length L): the planner's probability of running it, or null
/// where no planner decided (always-run layers, early-exit and static methods).</param>
/// <param name="Method">The method that produced the path (<c>dpbert</c>, <c>deebert</c>, ...).</param>
/// <param name="GoldLabel">The reference label when known.</param>
/// <param name="Latency">Wall-clock time of this input alone (batch 1), from the encoded input to the logits, when measured.</param>
public sealed record InputPath(
    string Text, IReadOnlyList<string> Tokens, string PredictedLabel, double Confidence, LayerPlan Plan,
    IReadOnlyList<double?> LayerProbabilities, string Method = "dpbert", string? GoldLabel = null, TimeSpan? Latency = null);
