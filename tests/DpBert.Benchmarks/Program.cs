using System.Diagnostics;
using DpBert.Tensors;

int m = int.Parse(args[0]), n = int.Parse(args[1]), k = int.Parse(args[2]);
var rng = new Random(1);
float[] a = new float[m * k], w = new float[n * k], c = new float[m * n], r = new float[m * n];
for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
var packed = PackedMatrix.PackLinearWeight(w, n, k);
Gemm.MultiplyPacked(c, n, a, k, packed, m);
GemmReference.Multiply(r, n, a, k, false, w, k, true, Math.Min(m, 8), n, k);
double err = 0; for (int i = 0; i < Math.Min(m, 8) * n; i++) err = Math.Max(err, Math.Abs(c[i] - r[i]));
Console.WriteLine($"max err {err}");
foreach (var mode in new[] { "packed", "unpacked", "openblas" })
{
    for (int rep = 0; rep < 3; rep++)
    {
        int iters = Math.Max(3, (int)(2e10 / (2.0 * m * n * k)));
        var sw = Stopwatch.StartNew();
        for (int it = 0; it < iters; it++)
        {
            if (mode == "packed") Gemm.MultiplyPacked(c, n, a, k, packed, m);
            else { Gemm.Backend = mode == "openblas" ? GemmBackend.OpenBlas : GemmBackend.Managed; Gemm.Multiply(c, n, a, k, false, w, k, true, m, n, k); }
        }
        double s = sw.Elapsed.TotalSeconds / iters;
        Console.WriteLine($"{mode} {m}x{n}x{k}: {s * 1e3:F3} ms  {2.0 * m * n * k / s / 1e9:F1} GFLOP/s");
    }
}
