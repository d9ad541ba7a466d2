namespace DpBert.Interactive;

/// <summary>How <see cref="LayerUsageHeatmap"/> groups inputs into rows.</summary>
public enum LayerUsageGrouping
{
    /// <summary>One row per predicted label.</summary>
    PredictedLabel,
    /// <summary>One row per input-length bucket (word pieces, specials included).</summary>
    Length,
}
