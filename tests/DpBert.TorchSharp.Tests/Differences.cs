namespace DpBert.TorchSharp.Tests;

/// <summary>
/// Largest absolute difference, and that difference relative to the reference's largest magnitude (0 for a reference that
/// is zero up to rounding, below 1e-6: such tensors, like the gradient of a key bias, carry no relative information).
/// </summary>
internal readonly record struct Difference(double MaxAbs, double Relative)
{
    /// <summary>
    /// The element-wise rule of the core engine's gradient tests: every element within <paramref name="relative"/> of the
    /// reference or within <paramref name="absolute"/> of it. Returns the first element that is neither, or null.
    /// </summary>
    public static string? FirstOutside(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double relative, double absolute)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - (double)expected[i]);
            if (!(err <= absolute || err <= relative * Math.Abs(expected[i]))) return $"[{i}]: {actual[i]:G9} vs {expected[i]:G9} (abs err {err:G3})";
        }
        return null;
    }

    public static Difference Of(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"NaN at {i}");
            maxAbs = Math.Max(maxAbs, Math.Abs(actual[i] - (double)expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return new Difference(maxAbs, scale < 1e-6 ? 0 : maxAbs / scale);
    }

    public static Difference Max(IEnumerable<Difference> all) =>
        all.Aggregate(new Difference(0, 0), (a, b) => new Difference(Math.Max(a.MaxAbs, b.MaxAbs), Math.Max(a.Relative, b.Relative)));
}
