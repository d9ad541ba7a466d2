namespace DpBert.Tensors;

/// <summary>
/// The arithmetic of <see cref="QuantizedGemm"/> done in double precision from the same quantised operands, the
/// reference its kernels are tested against: <c>C = scaleA[r] scaleW[j] sum_p (QA[r, p] - zeroA[r]) QW[j, p] + bias[j]</c>,
/// then GELU (the double-precision erf form) when asked.
/// </summary>
internal static class QuantizedGemmReference
{
    public static void Multiply(Span<float> c, int ldc, QuantizedRows rows, QuantizedMatrix w, bool accumulate = false,
        ReadOnlySpan<float> bias = default, bool gelu = false)
    {
        for (int r = 0; r < rows.Rows; r++)
        {
            for (int j = 0; j < w.N; j++)
            {
                long sum = 0;
                for (int p = 0; p < w.K; p++) sum += (long)(rows.At(r, p) - rows.ZeroPoints[r]) * w.At(j, p);
                double v = (double)rows.Scales[r] * w.Scales[j] * sum;
                if (!bias.IsEmpty) v += bias[j];
                if (gelu) v = 0.5 * v * (1.0 + Erf.Reference(v / Math.Sqrt(2.0)));
                c[r * ldc + j] = (float)(accumulate ? c[r * ldc + j] + v : v);
            }
        }
    }
}
