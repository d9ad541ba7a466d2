using System.Diagnostics;
using System.Globalization;
using DpBert.Bert;
using DpBert.Training;
using DpBert.TorchSharp;
using DpBert.TorchSharp.Interop;
using DpBert.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;
using TorchBert = DpBert.TorchSharp.Bert.BertForSequenceClassification;

namespace DpBert.Benchmarks;

/// <summary>
/// The core engine against TorchSharp/libtorch, side by side in one process on the same weights and inputs: forward
/// BERT-base b1x128 and b8x128, BERT-mini b1x128 and b32x64, and a training step (forward, backward, AdamW) of BERT-mini
/// b32x64 and BERT-base b8x128. libtorch runs at every thread count from 1 to the core count (or those given) and its best is kept; the
/// core engine at its default (every core). Interleaved: each round times every variant in turn (rotating the order),
/// so drift on a shared machine hits all alike; medians over all rounds. Checked first: the two engines' logits agree.
/// </summary>
internal static class EngineComparisonBenchmark
{
    private sealed record Variant(string Name, int Threads, Action Run)
    {
        public List<double> Samples { get; } = [];
        public double Median => Samples.Order().ElementAt(Samples.Count / 2);
    }

    public static void Run(int rounds, double secondsPerTurn, string? only, IReadOnlyList<int>? torchThreads = null, int warmup = 2)
    {
        var threads = torchThreads ?? Enumerable.Range(1, Environment.ProcessorCount).ToArray();
        Console.WriteLine($"# engines side by side: CPU {CpuName()}, {Environment.ProcessorCount} cores; load average {LoadAverage()}");
        TorchSharpRuntime.Initialize();
        Console.WriteLine($"# libtorch {__version__} (TorchSharp), core engine threads {Environment.GetEnvironmentVariable("DPBERT_THREADS") ?? "all"}; {rounds} rounds, ~{secondsPerTurn:F1} s per variant per round");
        (string Kind, string Shape, int Batch, int Seq)[] cases =
        [
            ("forward", "base", 1, 128), ("forward", "base", 8, 128), ("forward", "mini", 1, 128), ("forward", "mini", 32, 64),
            ("train", "mini", 32, 64), ("train", "base", 8, 128),
        ];
        var rows = new List<string>();
        foreach (var c in cases.Where(c => only is null || $"{c.Kind}-{c.Shape}".Contains(only, StringComparison.Ordinal)))
            rows.Add(RunCase(c.Kind, c.Shape, c.Batch, c.Seq, rounds, secondsPerTurn, threads, warmup));
        Console.WriteLine();
        Console.WriteLine("| case | core engine (median) | libtorch best (threads) | core / libtorch |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var row in rows) Console.WriteLine(row);
        Console.WriteLine($"# load average after: {LoadAverage()}");
    }

    private static string RunCase(string kind, string shape, int batch, int seq, int rounds, double secondsPerTurn, IReadOnlyList<int> threads, int warmup)
    {
        var s = BertBenchmark.Shapes[shape];
        float dropout = kind == "train" ? 0.1f : 0f;
        var config = new BertConfig
        {
            NumHiddenLayers = s.Layers, HiddenSize = s.Hidden, NumAttentionHeads = s.Heads, IntermediateSize = s.Intermediate,
            NumLabelsValue = 2, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout,
        };
        var core = BertForSequenceClassification.CreateEmpty(config);
        BertInitializer.Initialize(core.Parameters, config, seed: 1);
        using var torchModel = TorchModelFolder.FromCore(core);
        CheckSameLogits(core, torchModel, config);

        var input = BertBenchmark.RandomBatch(config, batch, seq, 5);
        using var torchInput = TorchBatch.From(input, CPU);
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 2).ToArray();
        using var torchLabels = tensor(labels.Select(l => (long)l).ToArray());
        Action coreRun, torchRun;
        if (kind == "forward")
        {
            torchModel.eval();
            coreRun = () => core.Forward(input);
            torchRun = () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                torchModel.forward(torchInput.InputIds, torchInput.TokenTypeIds, torchInput.AttentionMask);
            };
        }
        else
        {
            var grads = core.Parameters.CreateLike();
            var acts = new BertTrainingActivations(config);
            var optimizer = new AdamW(core.Parameters, grads, new AdamWOptions(1e-4));
            ulong step = 0;
            coreRun = () =>
            {
                Gradients.Zero(grads);
                core.ForwardBackward(input, acts, grads, labels, default, step++);
                optimizer.Step(1e-4);
            };
            torchModel.train();
            var torchOptimizer = new TorchSharpAdamW(torchModel.named_parameters(), 1e-4, 0);
            torchRun = () =>
            {
                torchOptimizer.ZeroGrad();
                using var scope = NewDisposeScope();
                torchModel.TaskLoss(torchModel.forward(torchInput.InputIds, torchInput.TokenTypeIds, torchInput.AttentionMask), torchLabels).backward();
                torchOptimizer.Step(1e-4);
            };
        }

        var variants = new List<Variant> { new("core", 0, coreRun) };
        foreach (int t in threads) variants.Add(new Variant("libtorch", t, torchRun));
        foreach (var v in variants)
        {
            Prepare(v);
            for (int i = 0; i < warmup; i++) v.Run();
        }
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < variants.Count; i++)
            {
                var v = variants[(i + r) % variants.Count];
                Prepare(v);
                var clock = Stopwatch.StartNew();
                do
                {
                    long start = Stopwatch.GetTimestamp();
                    v.Run();
                    v.Samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                } while (clock.Elapsed.TotalSeconds < secondsPerTurn);
            }
        }
        var coreVariant = variants[0];
        var best = variants.Skip(1).MinBy(v => v.Median)!;
        string name = $"{kind} BERT-{shape} b{batch}x{seq}";
        string perThread = string.Join(", ", variants.Skip(1).Select(v => $"{v.Threads} thr {v.Median:F2} ms"));
        Console.WriteLine($"{name,-26} core {coreVariant.Median,9:F2} ms ({coreVariant.Samples.Count} runs) | libtorch {perThread} | core/libtorch {coreVariant.Median / best.Median:F2}");
        BenchmarkProgram.Report(new
        {
            bench = "engines", kind, shape, batch, seq, core_median_ms = coreVariant.Median, core_runs = coreVariant.Samples.Count,
            libtorch_median_ms = variants.Skip(1).ToDictionary(v => v.Threads.ToString(CultureInfo.InvariantCulture), v => v.Median),
            libtorch_best_threads = best.Threads, ratio = coreVariant.Median / best.Median,
        });
        return $"| {name} | {coreVariant.Median:F2} ms | {best.Median:F2} ms ({best.Threads}) | {coreVariant.Median / best.Median:F2} |";
    }

    /// <summary>Sets libtorch's threads for the variant and lets the other side's spinning threads go to sleep.</summary>
    private static void Prepare(Variant v)
    {
        if (v.Threads > 0) set_num_threads(v.Threads);
        Thread.Sleep(20);
    }

    /// <summary>Both engines give the same logits for a short batch before anything is timed.</summary>
    private static void CheckSameLogits(BertForSequenceClassification core, TorchBert torchModel, BertConfig config)
    {
        var small = BertBenchmark.RandomBatch(config, 2, 8, 4);
        var expected = core.Forward(small);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = torchModel.training;
        torchModel.eval();
        using var inputs = TorchBatch.From(small, CPU);
        var actual = torchModel.forward(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask).data<float>().ToArray();
        torchModel.train(wasTraining);
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual[i]) > 1e-4 + 1e-4 * Math.Abs(expected[i]))
                throw new InvalidOperationException($"the engines disagree before timing: logit [{i}] core {expected[i]} vs libtorch {actual[i]}");
    }

    private static string CpuName()
    {
        try
        {
            var info = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0)
                .Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
            return $"{info.GetValueOrDefault("model name", "?")} (family {info.GetValueOrDefault("cpu family", "?")} model {info.GetValueOrDefault("model", "?")})";
        }
        catch (IOException) { return "unknown"; }
    }

    private static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }
}
