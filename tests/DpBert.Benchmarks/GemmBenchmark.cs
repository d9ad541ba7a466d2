using DpBert.Tensors;

namespace DpBert.Benchmarks;

/// <summary>GEMM throughput at BERT-base shapes: <c>y = x W^T</c> with x (m, k) and W (n, k).</summary>
internal static class GemmBenchmark
{
    public static void Run()
    {
        foreach (var (m, n, k) in new[] { (768, 768, 768), (128, 3072, 768), (128, 768, 3072), (128, 768, 768) })
        {
            var x = Random(m * k, 1);
            var w = Random(n * k, 2);
            var c = new float[m * n];
            var expected = new float[8 * n];
            GemmReference.Multiply(expected, n, x, k, false, w, k, true, 8, n, k);
            var packed = PackedMatrix.PackLinearWeight(w, n, k);

            Measure("managed-packed", m, n, k, expected, c, () => Gemm.MultiplyPacked(c, n, x, k, packed, m));
            Measure("managed", m, n, k, expected, c, () => Gemm.MultiplyManaged(Simd.Best, c, n, x, k, false, w, k, true, m, n, k));
            if (OpenBlas.IsAvailable)
            {
                var saved = Gemm.Backend;
                Gemm.Backend = GemmBackend.OpenBlas;
                Measure("openblas", m, n, k, expected, c, () => Gemm.Multiply(c, n, x, k, false, w, k, true, m, n, k));
                Gemm.Backend = saved;
            }
        }
    }

    private static void Measure(string path, int m, int n, int k, float[] expected, float[] c, Action action)
    {
        action();
        double err = 0;
        for (int i = 0; i < expected.Length; i++) err = Math.Max(err, Math.Abs(expected[i] - c[i]));
        if (err > 1e-3) throw new InvalidOperationException($"GEMM {path} {m}x{n}x{k} is wrong: max error {err}");
        var t = Timing.Measure(action, minRuns: 20, minSeconds: 1.5);
        double gflops = 2.0 * m * n * k / (t.MedianMs * 1e-3) / 1e9, best = 2.0 * m * n * k / (t.MinMs * 1e-3) / 1e9;
        Console.WriteLine($"gemm {path,-15} {m}x{n}x{k,-5} median {t.MedianMs,8:F3} ms  {gflops,6:F1} GFLOP/s, fastest run {best,6:F1}  (p10 {t.P10Ms:F3}, p90 {t.P90Ms:F3}, {t.Runs} runs)");
        BenchmarkProgram.Report(new { bench = "gemm", path, m, n, k, median_ms = t.MedianMs, gflops, fastest_gflops = best, max_error = err });
    }

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        return x;
    }
}
