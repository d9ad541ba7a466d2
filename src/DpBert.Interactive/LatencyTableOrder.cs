namespace DpBert.Interactive;

/// <summary>Row order of a <see cref="LatencyTable"/>.</summary>
public enum LatencyTableOrder
{
    /// <summary>The full model first, then each method (in order of first appearance) by knob value.</summary>
    Method,
    /// <summary>Fastest first (highest speed-up).</summary>
    SpeedUp,
    /// <summary>Best metric first.</summary>
    Metric,
}
