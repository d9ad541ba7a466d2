using System.Runtime.InteropServices;

namespace DpBert.Tensors;

/// <summary>
/// Optional native GEMM: <c>cblas_sgemm</c> from <c>libopenblas.so.0</c> (Debian's
/// <c>libopenblas0-pthread</c>), loaded lazily through <see cref="NativeLibrary"/>. Nothing depends on it:
/// when it is absent <see cref="IsAvailable"/> is false and the managed kernels run.
/// </summary>
public static unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
    private static readonly delegate* unmanaged<int, void> SetThreads;

    /// <summary>True when <c>libopenblas.so.0</c> (or <c>libopenblas.so</c>) loaded and exports <c>cblas_sgemm</c>.</summary>
    public static bool IsAvailable { get; }

    /// <summary>Why the library could not be used (null when it is available).</summary>
    public static string? LoadError { get; }

    static OpenBlas()
    {
        foreach (string name in new[] { "libopenblas.so.0", "libopenblas.so", "libopenblas" })
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm))
            {
                LoadError = $"{name} has no cblas_sgemm export";
                return;
            }
            Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint threads))
                SetThreads = (delegate* unmanaged<int, void>)threads;
            IsAvailable = true;
            return;
        }
        LoadError = "libopenblas.so.0 was not found (Debian: apt-get install libopenblas0-pthread)";
    }

    /// <summary>Sets the number of threads OpenBLAS uses for one call (when the library exports the setter).</summary>
    public static void SetThreadCount(int threads)
    {
        if (IsAvailable && SetThreads != null) SetThreads(Math.Max(1, threads));
    }

    /// <summary>Same contract as <see cref="Gemm.Multiply"/> on raw pointers; the bias is applied by pre-filling C.</summary>
    internal static void Multiply(float* c, int ldc, float* a, int lda, bool transA, float* b, int ldb, bool transB,
        int m, int n, int k, bool accumulate, float* bias)
    {
        if (!IsAvailable) throw new InvalidOperationException($"OpenBLAS is not available: {LoadError}");
        float beta = accumulate ? 1f : 0f;
        if (bias != null)
        {
            for (int i = 0; i < m; i++)
            {
                float* row = c + (nint)i * ldc;
                for (int j = 0; j < n; j++) row[j] = accumulate ? row[j] + bias[j] : bias[j];
            }
            beta = 1f;
        }
        Sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
    }
}
