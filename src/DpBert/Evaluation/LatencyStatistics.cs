namespace DpBert.Evaluation;

/// <summary>Summary of per-input wall-clock latencies, in milliseconds.</summary>
/// <param name="Count">Number of timed inputs.</param>
/// <param name="MeanMs">Mean.</param>
/// <param name="P50Ms">Median.</param>
/// <param name="P90Ms">90th percentile.</param>
/// <param name="P99Ms">99th percentile.</param>
public sealed record LatencyStatistics(int Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms)
{
    /// <summary>
    /// Statistics of <paramref name="millisecondsPerInput"/>; percentiles by linear interpolation between
    /// order statistics (numpy's default).
    /// </summary>
    /// <exception cref="ArgumentException">No samples, or a negative or non-finite sample.</exception>
    public static LatencyStatistics From(IReadOnlyList<double> millisecondsPerInput)
    {
        if (millisecondsPerInput.Count == 0) throw new ArgumentException("no latency samples", nameof(millisecondsPerInput));
        var sorted = millisecondsPerInput.ToArray();
        foreach (double v in sorted)
            if (!(v >= 0) || double.IsInfinity(v)) throw new ArgumentException($"latency sample {v} is not a finite non-negative number", nameof(millisecondsPerInput));
        Array.Sort(sorted);
        return new LatencyStatistics(sorted.Length, sorted.Average(), Percentile(sorted, 0.50), Percentile(sorted, 0.90), Percentile(sorted, 0.99));
    }

    /// <summary>The q-quantile (0..1) of sorted values, interpolating linearly.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("no values", nameof(sorted));
        if (q is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(q), $"quantile {q} must be in [0, 1]");
        double position = q * (sorted.Count - 1);
        int lower = (int)Math.Floor(position), upper = Math.Min(sorted.Count - 1, lower + 1);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }
}
