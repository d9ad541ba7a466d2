using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DpBert.Benchmarks;

/// <summary>
/// The FMA peak of this CPU, the ceiling every GFLOP/s figure is read against: independent chains of fused multiply-adds
/// (enough to cover the FMA latency on every port), no memory traffic. Timed in short slices and the fastest slice kept,
/// so a slice that ran undisturbed gives the figure even on a shared machine. Per core (one thread) and for all cores at once.
/// </summary>
internal static class FmaPeakBenchmark
{
    private const int Iterations = 200_000;   // 16 chains x 16 lanes x 2 flops per iteration and chain

    /// <summary>Measures and prints the peak in GFLOP/s: one core at the widest vector width, and all cores at once.</summary>
    public static (double OneCore, double AllCores) Run(bool print = true)
    {
        double single512 = Avx512F.IsSupported ? Best(() => Chains512(Iterations), 16 * 16 * 2.0 * Iterations) : 0;
        double single256 = Fma.IsSupported ? Best(() => Chains256(Iterations), 16 * 8 * 2.0 * Iterations) : 0;
        double best = Math.Max(single512, single256);
        int cores = Environment.ProcessorCount;
        double all = AllCores(cores, Avx512F.IsSupported);
        if (print)
        {
            Console.WriteLine($"FMA peak, one core: {single512:F1} GFLOP/s with 512-bit FMAs, {single256:F1} with 256-bit; all {cores} cores at once: {all:F1} GFLOP/s");
            BenchmarkProgram.Report(new { bench = "fma-peak", one_core_512 = single512, one_core_256 = single256, all_cores = all, cores });
        }
        return (best, all);
    }

    private static double Best(Func<float> kernel, double flopsPerCall)
    {
        for (int i = 0; i < 20; i++) kernel();   // optimised code and a settled clock before timing
        double bestSeconds = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int slice = 0; slice < 200 && (slice < 40 || total.Elapsed.TotalSeconds < 2); slice++)
        {
            long start = Stopwatch.GetTimestamp();
            kernel();
            bestSeconds = Math.Min(bestSeconds, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return flopsPerCall / bestSeconds / 1e9;
    }

    private static double AllCores(int threads, bool wide)
    {
        double flopsPerCall = (wide ? 16 * 16 : 16 * 8) * 2.0 * Iterations;
        var best = new double[threads];
        var go = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 20; i++) { if (wide) Chains512(Iterations); else Chains256(Iterations); }
            double seconds = double.MaxValue;
            for (int slice = 0; slice < 60; slice++)
            {
                go.SignalAndWait();
                long start = Stopwatch.GetTimestamp();
                if (wide) Chains512(Iterations); else Chains256(Iterations);
                seconds = Math.Min(seconds, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            best[t] = flopsPerCall / seconds / 1e9;
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        return best.Sum();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(int n)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        Vector512<float> c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        for (int i = 0; i < n; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a); c1 = Avx512F.FusedMultiplyAdd(c1, m, a);
            c2 = Avx512F.FusedMultiplyAdd(c2, m, a); c3 = Avx512F.FusedMultiplyAdd(c3, m, a);
            c4 = Avx512F.FusedMultiplyAdd(c4, m, a); c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a); c7 = Avx512F.FusedMultiplyAdd(c7, m, a);
            c8 = Avx512F.FusedMultiplyAdd(c8, m, a); c9 = Avx512F.FusedMultiplyAdd(c9, m, a);
            c10 = Avx512F.FusedMultiplyAdd(c10, m, a); c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
            c12 = Avx512F.FusedMultiplyAdd(c12, m, a); c13 = Avx512F.FusedMultiplyAdd(c13, m, a);
            c14 = Avx512F.FusedMultiplyAdd(c14, m, a); c15 = Avx512F.FusedMultiplyAdd(c15, m, a);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(int n)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        Vector256<float> c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        for (int i = 0; i < n; i++)
        {
            c0 = Fma.MultiplyAdd(c0, m, a); c1 = Fma.MultiplyAdd(c1, m, a);
            c2 = Fma.MultiplyAdd(c2, m, a); c3 = Fma.MultiplyAdd(c3, m, a);
            c4 = Fma.MultiplyAdd(c4, m, a); c5 = Fma.MultiplyAdd(c5, m, a);
            c6 = Fma.MultiplyAdd(c6, m, a); c7 = Fma.MultiplyAdd(c7, m, a);
            c8 = Fma.MultiplyAdd(c8, m, a); c9 = Fma.MultiplyAdd(c9, m, a);
            c10 = Fma.MultiplyAdd(c10, m, a); c11 = Fma.MultiplyAdd(c11, m, a);
            c12 = Fma.MultiplyAdd(c12, m, a); c13 = Fma.MultiplyAdd(c13, m, a);
            c14 = Fma.MultiplyAdd(c14, m, a); c15 = Fma.MultiplyAdd(c15, m, a);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
        return Vector256.Sum(sum);
    }
}
