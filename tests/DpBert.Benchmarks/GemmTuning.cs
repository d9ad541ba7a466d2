using System.Diagnostics;
using DpBert.Tensors;

namespace DpBert.Benchmarks;

/// <summary>
/// Development comparison of the GEMM paths, fastest of many runs: on one thread (<c>DPBERT_THREADS=1</c>) in thread CPU
/// time, on more in wall-clock time (the two runs side by side give the GEMMs' scaling over the cores).
/// <c>--precisions fp32</c> times the fp32 GEMMs alone (the forward shapes, then the training shapes).
/// </summary>
internal static class GemmTuning
{
    public static void Run(bool fp32Only)
    {
        (int M, int N, int K)[] shapes = Environment.GetEnvironmentVariable("SKIP_FWD") is null ? [(20, 768, 768), (128, 768, 768), (128, 3072, 768), (128, 768, 3072), (1024, 768, 768), (2048, 256, 256), (128, 256, 1024), (128, 1536, 384), (2048, 1024, 256), (1024, 3072, 768), (1024, 768, 3072)] : [];
        foreach (var (m, n, k) in shapes)
        {
            var x = Random(m * k, 1);
            var w = Random(n * k, 2);
            var c = new float[m * n];
            var packed = PackedMatrix.PackLinearWeight(w, n, k);
            double flops = 2.0 * m * n * k;
            if (fp32Only)
            {
                double t = Best(() => Gemm.MultiplyPacked(c, n, x, k, packed, m));
                Console.WriteLine($"{m}x{n}x{k}: fp32 {flops / t / 1e9,6:F1} GFLOP/s");
                continue;
            }
            var q = QuantizedMatrix.Quantize(w, k, n, k);
            double f32 = Best(() => Gemm.MultiplyPacked(c, n, x, k, packed, m));
            double i8 = Best(() => QuantizedGemm.Multiply(c, n, x, k, q, m));
            double f32g = Best(() => Gemm.MultiplyPacked(c, n, x, k, packed, m, false, default, gelu: true));
            double f32s = Best(() => { Gemm.MultiplyPacked(c, n, x, k, packed, m); RowKernels.Gelu(c, n, m, n); });
            double i8g = Best(() => QuantizedGemm.Multiply(c, n, x, k, q, m, gelu: true));
            Console.WriteLine($"   with gelu: fp32 fused {f32g / f32:F3}x the time, as a pass after the GEMM {f32s / f32:F3}x; int8 fused {i8g / i8:F3}x");
            var bf = BFloat16Matrix.Pack(w, k, n, k);
            double b16 = Best(() => BFloat16Gemm.Multiply(c, n, x, k, bf, m));
            string bw = "";
            if (DpBert.Tensors.MachineCode.DotProductTileKernel.Int8.RunsAt(QuantizedGemm.BestWidth))
            {
                double i8bw = Best(() => QuantizedGemm.Multiply(SimdWidth.V512, c, n, x, k, q, m, vnni: false));
                bw = $"   (VNNI; AVX-512BW {flops / i8bw / 1e9,6:F1} GOP/s, VNNI/BW speed {i8bw / i8:F2}x)";
            }
            Console.WriteLine($"{m}x{n}x{k}: fp32 {flops / f32 / 1e9,6:F1} GFLOP/s   int8 {flops / i8 / 1e9,6:F1} GOP/s   int8/fp32 speed {f32 / i8:F2}x   bf16 {flops / b16 / 1e9,6:F1} ({f32 / b16:F2}x){bw}");
        }
        // Training shapes: weight gradients dW (out, in) += dy^T x (A transposed, k = tokens) and input gradients
        // dx (tokens, in) += dy W (B not transposed, packed per call).
        (string What, int M, int N, int K, bool TransA, bool TransB)[] training =
        [
            ("dW mini inter", 1024, 256, 2048, true, false), ("dW mini out", 256, 1024, 2048, true, false), ("dW mini qkv", 256, 256, 2048, true, false),
            ("dX mini inter", 2048, 256, 1024, false, false), ("dX mini out", 2048, 1024, 256, false, false), ("dX mini qkv", 2048, 256, 256, false, false),
            ("dW base inter", 3072, 768, 1024, true, false), ("dX base inter", 1024, 768, 3072, false, false),
            ("no-trans A", 1024, 256, 2048, false, false), ("no-trans A,B^T", 1024, 256, 2048, false, true),
        ];
        foreach (var (what, m, n, k, ta, tb) in training)
        {
            var a = Random(m * k, 3);
            var b = Random(n * k, 4);
            var c = new float[m * n];
            double t = Best(() => Gemm.MultiplyManaged(Simd.Best, c, n, a, ta ? m : k, ta, b, tb ? k : n, tb, m, n, k, accumulate: true));
            Console.WriteLine($"{what,-14} {m}x{n}x{k} transA={ta}: fp32 {2.0 * m * n * k / t / 1e9,6:F1} GFLOP/s");
        }
    }

    private static double Best(Action action)
    {
        for (int i = 0; i < 3; i++) action();
        double best = double.MaxValue;
        var clock = Stopwatch.StartNew();
        var now = Timing.ThreadOrWallClock();
        for (int i = 0; i < 400 && clock.Elapsed.TotalSeconds < 1.5; i++)
        {
            double t0 = now();
            action();
            best = Math.Min(best, now() - t0);
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

/// <summary>
/// Development: one layer's attention (scores, softmax, context), fastest of many runs on the calling thread's CPU clock
/// (meaningful with <c>DPBERT_THREADS=1</c>) and on the wall clock, and the median right after the projection that writes
/// Q, K and V, as in a forward.
/// </summary>
internal static class AttentionTuning
{
    public static void Run()
    {
        foreach (var (shape, b, s) in new[] { ("base", 1, 128), ("base", 8, 128), ("mini", 32, 64), ("minilm", 1, 128), ("minilm", 32, 64) })
        {
            var model = BertBenchmark.RandomModel(shape, 0);
            var config = model.Config;
            int h = config.HiddenSize, t = b * s;
            var qkv = new float[t * 3 * h];
            new Random(1).NextBytes(new byte[1]);
            for (int i = 0; i < qkv.Length; i++) qkv[i] = (float)Math.Sin(i * 0.37);
            var context = new float[t * h];
            var mask = new float[t];
            var attention = model.Bert.Layers[0].SelfAttention;
            var x = new float[t * h];
            double best = double.MaxValue, bestWall = double.MaxValue;
            for (int i = 0; i < 200; i++)
            {
                double t0 = ThreadCpuClock.Seconds();
                long w0 = Stopwatch.GetTimestamp();
                attention.RunHeads(context, qkv, mask, b, s);
                bestWall = Math.Min(bestWall, Stopwatch.GetElapsedTime(w0).TotalSeconds);
                best = Math.Min(best, ThreadCpuClock.Seconds() - t0);
            }
            // In place: right after the Q, K, V projection that writes them, as in a forward (the difference of the medians).
            double Median(Action a)
            {
                var samples = new List<double>();
                for (int i = 0; i < 60; i++)
                {
                    long w0 = Stopwatch.GetTimestamp();
                    a();
                    if (i >= 10) samples.Add(Stopwatch.GetElapsedTime(w0).TotalSeconds);
                }
                samples.Sort();
                return samples[samples.Count / 2];
            }
            for (int i = 0; i < x.Length; i++) x[i] = (float)Math.Cos(i * 0.11);
            double projection = 0, both = 0;
            for (int round = 0; round < 3; round++)
            {
                projection += Median(() => attention.Project(qkv, x, t, DpBert.Bert.InferencePrecision.Float32));
                both += Median(() => attention.Forward(context, qkv, x, mask, b, s));
            }
            Console.WriteLine($"attention {shape} b{b}x{s} after its projection: {(both - projection) / 3 * 1e3:F3} ms (projection {projection / 3 * 1e3:F3} ms)");
            double flops = 4.0 * b * s * s * h;
            Console.WriteLine($"attention {shape} b{b}x{s}: {best * 1e3:F3} ms of the calling thread's CPU time; wall clock {bestWall * 1e3:F3} ms on {ComputePool.Parallelism} threads, {flops / bestWall / 1e9:F1} GFLOP/s");
        }
    }
}

/// <summary>Development: forward latency of each precision, interleaved, at one shape.</summary>
internal static class PrecisionTuning
{
    public static void Run(string shape, int batch, int seq)
    {
        var model = BertBenchmark.RandomModel(shape, 0);
        var input = BertBenchmark.RandomBatch(model.Config, batch, seq, 5);
        var samples = Enum.GetValues<DpBert.Bert.InferencePrecision>().ToDictionary(p => p, _ => new List<double>());
        for (int round = 0; round < 30; round++)
            foreach (var p in samples.Keys)
            {
                model.Bert.Precision = p;
                for (int i = 0; i < 5; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    model.Forward(input);
                    if (round > 2) samples[p].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }
        foreach (var (p, list) in samples)
        {
            list.Sort();
            Console.WriteLine($"{shape} b{batch}x{seq} {p}: median {list[list.Count / 2]:F3} ms, fastest {list[0]:F3} ms");
        }
    }
}

/// <summary>Development: element-wise kernels on one thread.</summary>
internal static class ElementwiseTuning
{
    public static void Run()
    {
        var x = new float[128 * 3072];
        for (int i = 0; i < x.Length; i++) x[i] = (float)Math.Sin(i * 0.01) * 3;
        var y = new float[x.Length];
        double best = double.MaxValue;
        for (int i = 0; i < 300; i++)
        {
            double t0 = ThreadCpuClock.Seconds();
            Gelu.Forward(y, x);
            best = Math.Min(best, ThreadCpuClock.Seconds() - t0);
        }
        Console.WriteLine($"gelu forward {x.Length} floats: {best * 1e3:F3} ms, {best * 1e9 / x.Length:F2} ns per element");
        best = double.MaxValue;
        for (int i = 0; i < 300; i++)
        {
            x.AsSpan().CopyTo(y);
            double t0 = ThreadCpuClock.Seconds();
            Gelu.BackwardInPlace(y, x);
            best = Math.Min(best, ThreadCpuClock.Seconds() - t0);
        }
        Console.WriteLine($"gelu backward {x.Length} floats: {best * 1e3:F3} ms, {best * 1e9 / x.Length:F2} ns per element");
    }
}

/// <summary>Development: the parts of one attention head on one thread.</summary>
internal static class HeadTuning
{
    public static void Run()
    {
        foreach (var (s, d, h) in new[] { (128, 64, 768), (64, 64, 256), (128, 32, 384), (64, 32, 384) })
        {
            int ld = 3 * h;
            var qkv = new float[s * ld];
            for (int i = 0; i < qkv.Length; i++) qkv[i] = (float)Math.Sin(i * 0.37);
            var scores = new float[s * s];
            var context = new float[s * h];
            var mask = new float[s];
            double Best(Action a)
            {
                for (int i = 0; i < 20; i++) a();
                double best = double.MaxValue;
                for (int r = 0; r < 50; r++)
                {
                    double t0 = ThreadCpuClock.Seconds();
                    for (int i = 0; i < 20; i++) a();
                    best = Math.Min(best, (ThreadCpuClock.Seconds() - t0) / 20);
                }
                return best;
            }
            double g1 = Best(() => Gemm.Multiply(scores, s, qkv, ld, false, qkv.AsSpan(h), ld, true, s, s, d));
            double sm = Best(() => { for (int i = 0; i < s; i++) Softmax.Forward(scores.AsSpan(i * s, s), 0.125f, mask); });
            double smRows = Best(() => Softmax.ForwardRows(scores.AsSpan(0, s * s), s, 0.125f, mask));
            double g2 = Best(() => Gemm.Multiply(context, h, scores, s, false, qkv.AsSpan(2 * h), ld, false, s, d, s));
            double f = 2.0 * s * s * d;
            Console.WriteLine($"head s={s} d={d}: scores {g1 * 1e6:F1} us ({f / g1 / 1e9:F0} GFLOP/s), softmax {sm * 1e6:F1} us (rows together {smRows * 1e6:F1} us), context {g2 * 1e6:F1} us ({f / g2 / 1e9:F0} GFLOP/s)");
        }
    }
}

internal static class SoftmaxTuning
{
    public static void Run()
    {
        var x = new float[16384];
        for (int i = 0; i < x.Length; i++) x[i] = (float)Math.Sin(i * 0.37);
        var mask = new float[128];
        double Best(Action a)
        {
            for (int i = 0; i < 20; i++) a();
            double best = double.MaxValue;
            for (int r = 0; r < 50; r++)
            {
                double t0 = ThreadCpuClock.Seconds();
                for (int i = 0; i < 20; i++) a();
                best = Math.Min(best, (ThreadCpuClock.Seconds() - t0) / 20);
            }
            return best;
        }
        Console.WriteLine($"softmax 128 rows of 128 with mask: {Best(() => { for (int i = 0; i < 128; i++) Softmax.Forward(x.AsSpan(i * 128, 128), 0.125f, mask); }) * 1e6:F1} us");
        Console.WriteLine($"softmax 128 rows of 128 no mask: {Best(() => { for (int i = 0; i < 128; i++) Softmax.Forward(x.AsSpan(i * 128, 128), 0.125f, default); }) * 1e6:F1} us");
        Console.WriteLine($"softmax one row of 16384: {Best(() => Softmax.Forward(x, 0.125f, default)) * 1e6:F1} us");
        Console.WriteLine($"softmax one row of 16383 (old path): {Best(() => Softmax.Forward(x.AsSpan(0, 16383), 0.125f, default)) * 1e6:F1} us");
    }
}

/// <summary>
/// Development: fp32 forwards with the attention block run by groups of sequences (<see cref="DpBert.Bert.BertLayer.AttentionBySequenceGroups"/>)
/// and without, interleaved in one process, medians; the logits of the two must be the same bits.
/// </summary>
internal static class SequenceGroupTuning
{
    public static void Run(int rounds)
    {
        // BERT-base is left out: its attention block weighs more than BertLayer.GroupedWeightBytes, so it is never grouped.
        foreach (var (shape, batch, seq) in new[] { ("mini", 32, 64), ("minilm", 32, 64), ("minilm", 8, 128), ("minilm", 16, 128) })
        {
            var model = BertBenchmark.RandomModel(shape, dropout: 0);
            var input = BertBenchmark.RandomBatch(model.Config, batch, seq, 3);
            var times = new[] { new List<double>(), new List<double>() };
            var logits = new float[2][];
            bool saved = DpBert.Bert.BertLayer.AttentionBySequenceGroups;
            try
            {
                for (int r = 0; r < rounds + 2; r++)
                {
                    for (int arm = 0; arm < 2; arm++)
                    {
                        DpBert.Bert.BertLayer.AttentionBySequenceGroups = arm == 1;
                        long t0 = Stopwatch.GetTimestamp();
                        logits[arm] = model.Forward(input);
                        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                        if (r >= 2) times[arm].Add(ms);
                    }
                }
            }
            finally { DpBert.Bert.BertLayer.AttentionBySequenceGroups = saved; }
            double Median(List<double> t) => t.Order().ElementAt(t.Count / 2);
            double whole = Median(times[0]), grouped = Median(times[1]);
            bool same = logits[0].AsSpan().SequenceEqual(logits[1]);
            Console.WriteLine($"{shape} b{batch}x{seq}: whole batch {whole:F2} ms, by sequence groups {grouped:F2} ms, grouped / whole {grouped / whole:F3} ({rounds} rounds; logits {(same ? "the same bits" : "DIFFER")})");
            BenchmarkProgram.Report(new { bench = "sequence-groups", shape, batch, seq, whole_ms = whole, grouped_ms = grouped, ratio = grouped / whole, same_bits = same });
        }
    }
}
