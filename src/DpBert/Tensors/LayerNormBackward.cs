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
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int rows, int c)
    {
        for (int r = 0; r < rows; r++)
        {
            var dyr = dy.Slice(r * c, c);
            var xr = x.Slice(r * c, c);
            var dxr = dx.Slice(r * c, c);
            float m = mean[r], s = rstd[r];
            // Two reductions over the row: mean of g and mean of g * xhat.
            float sumG = 0, sumGX = 0;
            for (int i = 0; i < c; i++)
            {
                float xhat = (xr[i] - m) * s;
                float g = dyr[i] * weight[i];
                sumG += g;
                sumGX += g * xhat;
                dweight[i] += dyr[i] * xhat;
                dbias[i] += dyr[i];
            }
            float meanG = sumG / c, meanGX = sumGX / c;
            for (int i = 0; i < c; i++)
            {
                float xhat = (xr[i] - m) * s;
                dxr[i] += s * (dyr[i] * weight[i] - meanG - xhat * meanGX);
            }
        }
    }
}
