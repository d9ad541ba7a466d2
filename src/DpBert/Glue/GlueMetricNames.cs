namespace DpBert.Glue;

/// <summary>
/// The names under which GLUE metrics are reported, spelled as Hugging Face's <c>glue</c> metric and <c>run_glue</c>
/// report them, so numbers can be compared key for key.
/// </summary>
public static class GlueMetricNames
{
    /// <summary>Fraction of correct predictions (every classification task).</summary>
    public const string Accuracy = "accuracy";

    /// <summary>Binary F1 with class 1 as the positive class (MRPC, QQP).</summary>
    public const string F1 = "f1";

    /// <summary>Matthews correlation coefficient (CoLA).</summary>
    public const string MatthewsCorrelation = "matthews_correlation";

    /// <summary>Pearson correlation of predicted and gold scores (STS-B).</summary>
    public const string Pearson = "pearson";

    /// <summary>Spearman rank correlation of predicted and gold scores (STS-B).</summary>
    public const string Spearman = "spearmanr";

    /// <summary>Mean of a task's metrics when it has more than one (MRPC, QQP, STS-B), as <c>run_glue</c> reports it.</summary>
    public const string CombinedScore = "combined_score";
}
