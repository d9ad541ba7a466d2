namespace DpBert.Training;

/// <summary>Predictions of a model over an evaluation set, in dataset order.</summary>
/// <param name="Logits">Raw outputs (N, num_labels).</param>
/// <param name="PredictedLabels">Argmax class per example (classification; empty for regression).</param>
/// <param name="PredictedScores">Predicted value per example (regression; empty for classification).</param>
/// <param name="Loss">Mean loss over the labelled examples (NaN when none is labelled).</param>
public sealed record EvaluationOutput(float[] Logits, int[] PredictedLabels, float[] PredictedScores, double Loss);
