using System.Diagnostics;
using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Training;

namespace DpBert.Benchmarks;

/// <summary>
/// Where the time of a forward pass or a training step goes: per-operation wall-clock totals from <see cref="OpProfile"/>
/// (the layer code's own call sites), with each GEMM's GFLOP/s against the FMA peak of all cores measured in the same run.
/// </summary>
internal static class ProfileBenchmark
{
    public static void Run(string shape, int batch, int seq, bool train, int passes, InferencePrecision precision)
    {
        var (onePeak, peak) = FmaPeakBenchmark.Run();
        int threads = ComputePoolThreads();
        var model = BertBenchmark.RandomModel(shape, dropout: train ? 0.1f : 0f);
        var input = BertBenchmark.RandomBatch(model.Config, batch, seq, 5);
        Action pass;
        if (train)
        {
            var grads = model.Parameters.CreateLike();
            var acts = new BertTrainingActivations(model.Config);
            var optimizer = new AdamW(model.Parameters, grads, new AdamWOptions(1e-4));
            int[] labels = Enumerable.Range(0, batch).Select(i => i % 2).ToArray();
            ulong step = 0;
            pass = () =>
            {
                using (OpProfile.Measure("zero gradients")) Gradients.Zero(grads);
                model.ForwardBackward(input, acts, grads, labels, default, step++);
                optimizer.Step(1e-4);
            };
        }
        else
        {
            model.Bert.Precision = precision;
            pass = () => model.Forward(input);
        }

        for (int i = 0; i < 3; i++) pass();
        // On one thread, count the thread's CPU time: what a busy machine takes away is not the engine's.
        bool cpuTime = threads == 1 && ThreadCpuClock.IsAvailable;
        if (cpuTime) OpProfile.Clock = ThreadCpuClock.Seconds;
        OpProfile.Reset();
        OpProfile.Enabled = true;
        double start = OpProfile.Clock();
        for (int i = 0; i < passes; i++) pass();
        double totalMs = (OpProfile.Clock() - start) * 1000 / passes;
        OpProfile.Enabled = false;

        string what = train ? "training step" : $"forward ({precision.Name()})";
        Console.WriteLine($"profile: {what} BERT-{shape} b{batch}x{seq}, {passes} passes, {threads} threads, {totalMs:F2} ms per pass ({(cpuTime ? "thread CPU time" : "wall clock")}); load average {Machine.LoadAverage()}");
        Console.WriteLine($"{"op",-42} {"ms/pass",9} {"share",6} {"calls",6} {"GFLOP/s",8} {"of peak",7}");
        double accounted = 0;
        foreach (var (op, ms, flops, calls) in OpProfile.Snapshot())
        {
            double perPass = ms / passes;
            accounted += perPass;
            double gflops = flops > 0 ? flops / (ms * 1e-3) / 1e9 : 0;
            string rate = flops > 0 ? $"{gflops,8:F1} {gflops / (threads == 1 ? onePeak : peak),7:P0}" : "";
            Console.WriteLine($"{op,-42} {perPass,9:F3} {perPass / totalMs,6:P1} {calls / passes,6} {rate}");
            BenchmarkProgram.Report(new { bench = "profile", kind = what, shape, batch, seq, op, ms_per_pass = perPass, share = perPass / totalMs, gflops });
        }
        Console.WriteLine($"{"(not in a scope)",-42} {totalMs - accounted,9:F3} {(totalMs - accounted) / totalMs,6:P1}");
    }

    private static int ComputePoolThreads() => ComputePool.Parallelism;
}
