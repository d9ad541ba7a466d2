namespace DpBert.Tensors;

/// <summary>Backward passes of the elementwise activations and of softmax; all accumulate into the input gradient.</summary>
public static class ActivationBackward
{
    private const double InvSqrt2Pi = 0.3989422804014327;

    /// <summary><c>dx += dy * gelu'(x)</c> with <c>gelu'(x) = Phi(x) + x phi(x)</c>.</summary>
    public static void Gelu(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            float cdf = 0.5f * (1f + Erf.Approximate(v * 0.70710678f));
            float pdf = (float)InvSqrt2Pi * MathF.Exp(-0.5f * v * v);
            dx[i] += dy[i] * (cdf + v * pdf);
        }
    }

    /// <summary><c>d[i] *= gelu'(x[i])</c>: turns the gradient of the GELU output into that of its input, in place (vectorised).</summary>
    public static void GeluInPlace(Span<float> d, ReadOnlySpan<float> x) => Tensors.Gelu.BackwardInPlace(d, x);

    /// <summary><c>dx += dy * (1 - y^2)</c> given the tanh output y.</summary>
    public static void Tanh(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y)
    {
        for (int i = 0; i < y.Length; i++) dx[i] += dy[i] * (1f - y[i] * y[i]);
    }

    /// <summary>
    /// Backward of <c>p = softmax(scale * s + mask)</c> for one row: <c>ds += scale * p (dp - sum(dp p))</c>.
    /// </summary>
    public static void Softmax(Span<float> ds, ReadOnlySpan<float> dp, ReadOnlySpan<float> p, float scale)
    {
        float dot = 0;
        for (int i = 0; i < p.Length; i++) dot += dp[i] * p[i];
        for (int i = 0; i < p.Length; i++) ds[i] += scale * p[i] * (dp[i] - dot);
    }

    /// <summary><c>dbias[j] += sum_i dy[i, j]</c>: the bias gradient of a Linear layer over <paramref name="rows"/> rows.</summary>
    public static void BiasGradient(Span<float> dbias, ReadOnlySpan<float> dy, int rows, int n)
    {
        var target = dbias[..n];
        for (int r = 0; r < rows; r++) Elementwise.AddInPlace(target, dy.Slice(r * n, n));
    }
}
