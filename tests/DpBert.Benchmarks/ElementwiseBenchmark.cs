using System.Diagnostics;
using System.Numerics.Tensors;
using DpBert.Tensors;

namespace DpBert.Benchmarks;

/// <summary>
/// The project's element-wise kernels against System.Numerics.Tensors' <see cref="TensorPrimitives"/> on the same
/// buffers, interleaved (A, B, A, B, ...) so both see the same machine; prints each one's median time and the
/// ratio. This decides, kernel by kernel, whether the library replaces the hand-written code.
/// </summary>
internal static class ElementwiseBenchmark
{
    public static void Run()
    {
        // With tiered compilation on, kernels of tens of nanoseconds were timed at whatever tier the JIT had reached
        // (the same add took 11 ns in one row and 1,100 ns in the next, with 2,000 calls or 600 ms of warm-up alike), so
        // this benchmark runs itself again with every method compiled fully optimised from its first call.
        if (Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0")
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!, "elementwise") { UseShellExecute = false };
            start.Environment["DOTNET_TieredCompilation"] = "0";
            using var child = Process.Start(start)!;
            child.WaitForExit();
            if (child.ExitCode != 0) throw new InvalidOperationException($"elementwise benchmark (DOTNET_TieredCompilation=0) exited with {child.ExitCode}");
            return;
        }
        Console.WriteLine("# elementwise kernels, DOTNET_TieredCompilation=0 (fully optimised code from the first call)");
        var rng = new Random(1);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        foreach (int n in new[] { 128, 768, 98_304 })
        {
            float[] x = Random(n), y = Random(n), z = new float[n];
            Compare($"add y += x, n={n}", () => Elementwise.AddInPlace(y, x), () => TensorPrimitives.Add(y, x, y));
            Compare($"scale y *= s, n={n}", () => Elementwise.Scale(y, 0.999f), () => TensorPrimitives.Multiply(y, 0.999f, y));
            Compare($"sum, n={n}", () => Reductions.Sum(Simd.Best, x), () => TensorPrimitives.Sum(x));
            Compare($"max, n={n}", () => Reductions.Max(Simd.Best, x), () => TensorPrimitives.Max(x));
            Compare($"tanh, n={n}", () => Tanh.Forward(z, x), () => TensorPrimitives.Tanh(x, z));
            Compare($"softmax row, n={n}", () => Softmax.Forward(z.AsSpan(), 1f, default), () => TensorPrimitives.SoftMax(x, z));
        }
    }

    private static void Compare(string name, Action ours, Action library)
    {
        for (int i = 0; i < 2000; i++) { ours(); library(); }   // tiered JIT: optimised code before timing
        var a = new List<double>();
        var b = new List<double>();
        var clock = new Stopwatch();
        int reps = 200;
        for (int round = 0; round < 101; round++)
        {
            clock.Restart();
            for (int i = 0; i < reps; i++) ours();
            a.Add(clock.Elapsed.TotalMicroseconds / reps);
            clock.Restart();
            for (int i = 0; i < reps; i++) library();
            b.Add(clock.Elapsed.TotalMicroseconds / reps);
        }
        a.Sort();
        b.Sort();
        double ma = a[a.Count / 2], mb = b[b.Count / 2];
        Console.WriteLine($"{name,-26} ours {ma * 1000,10:F1} ns   TensorPrimitives {mb * 1000,10:F1} ns   library/ours {mb / ma,5:F2}");
        BenchmarkProgram.Report(new { bench = "elementwise", kernel = name, ours_ns = ma * 1000, tensor_primitives_ns = mb * 1000, ratio = mb / ma });
    }
}
