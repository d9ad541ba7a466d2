using System.Runtime.Intrinsics;

namespace DpBert.Tensors;

/// <summary>
/// Backward of <see cref="LayerNorm"/>: with <c>xhat = (x - mean) rstd</c> and <c>g = dy * weight</c>,
/// <c>dx += rstd (g - mean(g) - xhat mean(g xhat))</c>, <c>dweight += sum dy xhat</c>, <c>dbias += sum dy</c>.
/// Accumulates into every gradient.
/// </summary>
public static class LayerNormBackward
{
    /// <summary>Backward over <paramref name="rows"/> rows of width <paramref name="c"/>.</summary>
    /// <param name="dx">Gradient of the input (rows, c), accumulated.</param>
    /// <param name="dweight">Gradient of the gain (c), accumulated.</param>
    /// <param name="dbias">Gradient of the shift (c), accumulated.</param>
    /// <param name="dy">Gradient of the output (rows, c).</param>
    /// <param name="x">Forward input (rows, c).</param>
    /// <param name="weight">Gain (c).</param>
    /// <param name="mean">Saved mean (rows).</param>
    /// <param name="rstd">Saved 1/std (rows).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="c">Row width.</param>
    public static void Backward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int rows, int c) =>
        Backward(Simd.Best, dx, dweight, dbias, dy, x, weight, mean, rstd, rows, c);

    internal static void Backward(SimdWidth width, Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int rows, int c)
    {
        bool vector = width == SimdWidth.V512 && c >= 16;
        for (int r = 0; r < rows; r++)
        {
            var dyr = dy.Slice(r * c, c);
            var xr = x.Slice(r * c, c);
            var dxr = dx.Slice(r * c, c);
            float m = mean[r], s = rstd[r];
            // Pass 1: mean of g and of g * xhat; the parameter gradients.
            float sumG = 0, sumGX = 0;
            int i = 0;
            if (vector)
            {
                var accG = Vector512<float>.Zero;
                var accGX = Vector512<float>.Zero;
                var vm = Vector512.Create(m);
                var vs = Vector512.Create(s);
                for (; i <= c - 16; i += 16)
                {
                    var d = Vector512.Create(dyr.Slice(i, 16));
                    var xhat = (Vector512.Create(xr.Slice(i, 16)) - vm) * vs;
                    var g = d * Vector512.Create(weight.Slice(i, 16));
                    accG += g;
                    accGX += g * xhat;
                    (Vector512.Create(dweight.Slice(i, 16)) + d * xhat).CopyTo(dweight.Slice(i, 16));
                    (Vector512.Create(dbias.Slice(i, 16)) + d).CopyTo(dbias.Slice(i, 16));
                }
                sumG = Vector512.Sum(accG);
                sumGX = Vector512.Sum(accGX);
            }
            for (; i < c; i++)
            {
                float xhat = (xr[i] - m) * s;
                float g = dyr[i] * weight[i];
                sumG += g;
                sumGX += g * xhat;
                dweight[i] += dyr[i] * xhat;
                dbias[i] += dyr[i];
            }
            float meanG = sumG / c, meanGX = sumGX / c;
            // Pass 2: the input gradient.
            i = 0;
            if (vector)
            {
                var vm = Vector512.Create(m);
                var vs = Vector512.Create(s);
                var vmg = Vector512.Create(meanG);
                var vmgx = Vector512.Create(meanGX);
                for (; i <= c - 16; i += 16)
                {
                    var xhat = (Vector512.Create(xr.Slice(i, 16)) - vm) * vs;
                    var g = Vector512.Create(dyr.Slice(i, 16)) * Vector512.Create(weight.Slice(i, 16));
                    (Vector512.Create(dxr.Slice(i, 16)) + vs * (g - vmg - xhat * vmgx)).CopyTo(dxr.Slice(i, 16));
                }
            }
            for (; i < c; i++)
            {
                float xhat = (xr[i] - m) * s;
                dxr[i] += s * (dyr[i] * weight[i] - meanG - xhat * meanGX);
            }
        }
    }
}
