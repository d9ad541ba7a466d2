using System.Runtime.Intrinsics;

namespace DpBert.Tensors;

/// <summary>
/// Layer normalisation over the last dimension with biased variance, as PyTorch computes it:
/// <c>y = (x - mean) / sqrt(var + eps) * weight + bias</c>. Forward saves mean and 1/std per row for the backward pass.
/// </summary>
public static class LayerNorm
{
    /// <summary>Normalises each of <paramref name="rows"/> rows of width <paramref name="c"/>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <param name="y">Output (rows, c).</param>
    /// <param name="mean">Saved mean per row (rows), or empty.</param>
    /// <param name="rstd">Saved 1/std per row (rows), or empty.</param>
    /// <param name="x">Input (rows, c).</param>
    /// <param name="weight">Gain (c).</param>
    /// <param name="bias">Shift (c).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="c">Row width.</param>
    /// <param name="eps">Added to the variance.</param>
    public static void Forward(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int rows, int c, float eps) =>
        Forward(Simd.Best, y, mean, rstd, x, weight, bias, rows, c, eps);

    internal static void Forward(SimdWidth width, Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int rows, int c, float eps)
    {
        Check(y, mean, rstd, x, weight, bias, rows, c);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * c, c);
            float m = Reductions.Sum(width, xr) / c;
            float v = Reductions.SumSquaredDeviation(width, xr, m) / c;
            float s = 1f / MathF.Sqrt(v + eps);
            if (!mean.IsEmpty) { mean[r] = m; rstd[r] = s; }
            Normalize(width, y.Slice(r * c, c), xr, m, s, weight, bias);
        }
    }

    /// <summary>The scalar reference, statistics in double precision.</summary>
    public static void ForwardReference(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int rows, int c, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * c, c);
            double m = 0, v = 0;
            for (int i = 0; i < c; i++) m += xr[i];
            m /= c;
            for (int i = 0; i < c; i++) v += (xr[i] - m) * (xr[i] - m);
            v /= c;
            double s = 1.0 / Math.Sqrt(v + eps);
            for (int i = 0; i < c; i++) y[r * c + i] = (float)((xr[i] - m) * s * weight[i] + bias[i]);
        }
    }

    private static void Normalize(SimdWidth width, Span<float> y, ReadOnlySpan<float> x, float m, float s,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            var vm = Vector512.Create(m); var vs = Vector512.Create(s);
            for (; i <= x.Length - 16; i += 16)
                ((Vector512.Create(x.Slice(i, 16)) - vm) * vs * Vector512.Create(weight.Slice(i, 16)) + Vector512.Create(bias.Slice(i, 16))).CopyTo(y.Slice(i, 16));
        }
        else if (width == SimdWidth.V256)
        {
            var vm = Vector256.Create(m); var vs = Vector256.Create(s);
            for (; i <= x.Length - 8; i += 8)
                ((Vector256.Create(x.Slice(i, 8)) - vm) * vs * Vector256.Create(weight.Slice(i, 8)) + Vector256.Create(bias.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        }
        else if (width == SimdWidth.V128)
        {
            var vm = Vector128.Create(m); var vs = Vector128.Create(s);
            for (; i <= x.Length - 4; i += 4)
                ((Vector128.Create(x.Slice(i, 4)) - vm) * vs * Vector128.Create(weight.Slice(i, 4)) + Vector128.Create(bias.Slice(i, 4))).CopyTo(y.Slice(i, 4));
        }
        for (; i < x.Length; i++) y[i] = (x[i] - m) * s * weight[i] + bias[i];
    }

    private static void Check(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int rows, int c)
    {
        long n = (long)rows * c;
        if (x.Length < n || y.Length < n) throw new ArgumentException($"x and y must hold rows*c = {n} floats (x {x.Length}, y {y.Length})");
        if (weight.Length != c || bias.Length != c) throw new ArgumentException($"weight and bias must hold c = {c} floats (weight {weight.Length}, bias {bias.Length})");
        if (!mean.IsEmpty && (mean.Length < rows || rstd.Length < rows)) throw new ArgumentException($"mean and rstd must hold {rows} floats");
    }
}
