namespace DpBert.Training;

/// <summary>One training or evaluation example for sequence classification or regression.</summary>
/// <param name="TextA">First segment.</param>
/// <param name="TextB">Second segment for pair tasks, else null.</param>
/// <param name="Label">Class index (classification), null for regression or unlabeled data.</param>
/// <param name="Score">Target value (regression), else null.</param>
public sealed record LabeledExample(string TextA, string? TextB, int? Label, float? Score = null);
