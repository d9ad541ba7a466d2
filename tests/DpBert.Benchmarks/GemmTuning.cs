using System.Diagnostics;
using DpBert.Tensors;

namespace DpBert.Benchmarks;

/// <summary>Development comparison of the GEMM paths on one thread (thread CPU time, fastest of many runs).</summary>
internal static class GemmTuning
{
    public static void Run()
    {
        (int M, int N, int K)[] shapes = [(20, 768, 768), (128, 768, 768), (128, 3072, 768), (128, 768, 3072), (1024, 768, 768), (2048, 256, 256), (128, 256, 1024)];
        foreach (var (m, n, k) in shapes)
        {
            var x = Random(m * k, 1);
            var w = Random(n * k, 2);
            var c = new float[m * n];
            var packed = PackedMatrix.PackLinearWeight(w, n, k);
            var q = QuantizedMatrix.Quantize(w, k, n, k);
            double f32 = Best(() => Gemm.MultiplyPacked(c, n, x, k, packed, m));
            double i8 = Best(() => QuantizedGemm.Multiply(c, n, x, k, q, m));
            var bf = BFloat16Matrix.Pack(w, k, n, k);
            double b16 = Best(() => BFloat16Gemm.Multiply(c, n, x, k, bf, m));
            double flops = 2.0 * m * n * k;
            Console.WriteLine($"{m}x{n}x{k}: fp32 {flops / f32 / 1e9,6:F1} GFLOP/s   int8 {flops / i8 / 1e9,6:F1} GOP/s   int8/fp32 speed {f32 / i8:F2}x   bf16 {flops / b16 / 1e9,6:F1} ({f32 / b16:F2}x)");
        }
    }

    private static double Best(Action action)
    {
        for (int i = 0; i < 3; i++) action();
        double best = double.MaxValue;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 400 && clock.Elapsed.TotalSeconds < 1.5; i++)
        {
            double t0 = ThreadCpuClock.Seconds();
            action();
            best = Math.Min(best, ThreadCpuClock.Seconds() - t0);
        }
        return best;
    }

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        return x;
    }
}
