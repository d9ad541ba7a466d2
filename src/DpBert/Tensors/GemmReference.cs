namespace DpBert.Tensors;

/// <summary>
/// The plain triple-loop GEMM every fast path is tested against:
/// <c>C = (accumulate ? C : 0) + op(A) op(B) + bias</c>, summing over k in order, in double.
/// </summary>
public static class GemmReference
{
    /// <summary>See <see cref="Gemm.Multiply"/> for the meaning of the arguments.</summary>
    public static void Multiply(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB, int m, int n, int k,
        bool accumulate = false, ReadOnlySpan<float> bias = default)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float x = transA ? a[p * lda + i] : a[i * lda + p];
                    float y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)x * y;
                }
                if (!bias.IsEmpty) sum += bias[j];
                if (accumulate) sum += c[i * ldc + j];
                c[i * ldc + j] = (float)sum;
            }
        }
    }
}
