using System.Globalization;
using DpBert.Checkpoints;
using DpBert.Cli;
using DpBert.Evaluation;
using DpBert.Glue;
using DpBert.Methods;
using DpBert.OnnxExport;
using DpBert.Planning;
using DpBert.Training;

namespace DpBert.Benchmarks;

/// <summary>
/// DPBERT on ONNX Runtime: the exported DPBERT graph against the exported full graph at batch 1 and batch 32, and the core
/// engine against ONNX Runtime on the same full model, all measured side by side in one <see cref="TradeoffSweep"/> (every
/// input timed on every point in turn, rotating order; every batch of 32 on every point in turn), so a busy machine slows
/// every point alike and the ratios hold. Without <c>--model</c> it first trains a small model (L6-H256 fine-tuned on 8,000
/// SST-2 sentences, then a planner), kept under the temp folder for the next run. The DPBERT folder is <c>&lt;model&gt;/dpbert</c>
/// unless <c>--dpbert</c> names another; with <c>--deebert</c> DeeBERT joins the sweep on both engines at <c>--entropies</c>.
/// </summary>
internal static class OnnxRuntimeBenchmark
{
    public static void Run(string? modelDir, string? dpbertDir, string? deebertDir, string thetas, string entropies, int batch1Inputs, int rounds, int threads,
        bool spinning, int maxSeqLength)
    {
        var c = CultureInfo.InvariantCulture;
        string glue = Environment.GetEnvironmentVariable("GLUE_DIR") is { Length: > 0 } g ? g : FindShared("glue");
        modelDir ??= TrainDefaultModel(glue);
        var full = ModelFolder.LoadSequenceClassifier(modelDir);
        var dpbert = DpBertFolder.Load(dpbertDir ?? Path.Combine(modelDir, "dpbert")).Classifier;
        var deebert = deebertDir is null ? null : EarlyExit.EarlyExitFolder.Load(deebertDir).Classifier;
        string onnxDir = Path.Combine(Path.GetTempPath(), "dpbert-onnx-benchmark-graphs");
        Directory.CreateDirectory(onnxDir);
        string fullPath = BertOnnxExporter.Save(BertOnnxExporter.BuildFull(full.Model), Path.Combine(onnxDir, "full.onnx")).Path;
        string dpbertPath = BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(dpbert.Model, dpbert.Planner), Path.Combine(onnxDir, "dpbert.onnx")).Path;

        var dev = GlueDataset.Load(GlueTask.Sst2, "dev", glue);
        var data = new EncodedDataset(dev.Select(e => new LabeledExample(e.TextA, e.TextB, e.Label, e.Score)).ToList(), full.Tokenizer, maxSeqLength);
        double[] knobs = thetas.Split(',').Select(t => double.Parse(t, c)).ToArray();
        using var ortFull = new OrtClassifier(fullPath, new EngineMethod("ort", FullDepthMethod.Instance), full.Model, threads, spinning);
        using var ortDpBert = new OrtClassifier(dpbertPath, new EngineMethod("ort", dpbert.Method), dpbert.Model, threads, spinning);
        var entries = new List<SweepEntry>
        {
            new(ortDpBert, knobs),
            new(new EngineClassifier("core", new FullDepthClassifier(full.Model)), [0]),
            new(new EngineClassifier("core", dpbert), knobs),
        };
        using var ortDeeBert = deebert is null ? null : new OrtClassifier(
            BertOnnxExporter.Save(BertOnnxExporter.BuildEarlyExit(deebert), Path.Combine(onnxDir, "deebert.onnx")).Path,
            new EngineMethod("ort", deebert.Method), deebert.Model, threads, spinning);
        if (deebert is not null)
        {
            double[] entropyKnobs = entropies.Split(',').Select(t => double.Parse(t, c)).ToArray();
            entries.Add(new(ortDeeBert!, entropyKnobs));
            entries.Add(new(new EngineClassifier("core", deebert), entropyKnobs));
        }
        MetricFunction accuracy = (d, o) => new Dictionary<string, double> { ["accuracy"] = GlueMetrics.Accuracy(o.PredictedLabels, d.Labels) };
        var options = new LatencyOptions { Batch1Inputs = batch1Inputs, Rounds = rounds, ThroughputBatchSize = 32 };
        string loadBefore = LoadAverage();
        Console.WriteLine($"# ONNX Runtime side by side: {full.Config.NumHiddenLayers} layers, hidden {full.Config.HiddenSize}, SST-2 dev ({data.Count} sentences, max {maxSeqLength} tokens), " +
            $"batch 1 over the first {(batch1Inputs > 0 ? Math.Min(batch1Inputs, data.Count) : data.Count)}, batch 32 over all, {rounds} round(s); ORT {threads} intra-op thread(s), spinning {(spinning ? "on" : "off")}; " +
            $"core engine threads {Environment.GetEnvironmentVariable("DPBERT_THREADS") ?? "all"}");
        Console.WriteLine($"# CPU: {CpuName()}, {Environment.ProcessorCount} logical cores; load average before: {loadBefore}");
        var result = TradeoffSweep.Run("sst2", ortFull, entries, data, accuracy, "accuracy", options,
            new Progress<(int Done, int Total, MethodResult Point)>(p => Console.Error.WriteLine($"[{p.Done}/{p.Total}] {p.Point.Label}")));
        Console.WriteLine($"# load average after: {LoadAverage()}");
        Print(result.Points);
    }

    private static void Print(IReadOnlyList<MethodResult> points)
    {
        var c = CultureInfo.InvariantCulture;
        MethodResult Find(string method, double? knob = null) => points.First(p => p.Method == method && (knob is null || p.KnobValue == knob));
        var ortFull = Find("ort-full");
        var coreFull = Find("core-full");
        Console.WriteLine("| point | accuracy | mean layers | b1 mean ms | b1 p50 ms | b1 p90 ms | b32 inputs/s | b1 latency vs same engine's full | b32 throughput vs same engine's full |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var json = new List<object>();
        foreach (var p in points)
        {
            var reference = p.Method.StartsWith("core", StringComparison.Ordinal) ? coreFull : ortFull;
            string label = p.Method.EndsWith("dpbert", StringComparison.Ordinal) ? $"{p.Method} theta={p.KnobValue?.ToString("G4", c)}"
                : p.Method.EndsWith("deebert", StringComparison.Ordinal) ? $"{p.Method} entropy={p.KnobValue?.ToString("G4", c)}"
                : p.Method;
            Console.WriteLine(string.Create(c, $"| {label} | {p.Metric:P2} | {p.MeanLayers:F2} | {p.Batch1.MeanMs:F3} | {p.Batch1.P50Ms:F3} | {p.Batch1.P90Ms:F3} | {p.Throughput:F1} | {p.Batch1.MeanMs / reference.Batch1.MeanMs:P1} | {p.Throughput / reference.Throughput:F2}x |"));
            json.Add(new
            {
                benchmark = "onnx", point = label, accuracy = p.Metric, mean_layers = p.MeanLayers, batch1_mean_ms = p.Batch1.MeanMs, batch1_p50_ms = p.Batch1.P50Ms,
                throughput = p.Throughput, batch1_relative_to_same_engine_full = p.Batch1.MeanMs / reference.Batch1.MeanMs,
                throughput_relative_to_same_engine_full = p.Throughput / reference.Throughput,
            });
        }
        foreach (var line in json) BenchmarkProgram.Report(line);
        // The two engines run the same graphs' arithmetic: a point whose layers differ between them was not fed its knob.
        foreach (var ort in points.Where(p => p.Method.StartsWith("ort-", StringComparison.Ordinal)))
            if (points.FirstOrDefault(p => p.Method == "core-" + ort.Method[4..] && p.KnobValue == ort.KnobValue) is { } core && Math.Abs(core.MeanLayers - ort.MeanLayers) > 1e-9)
                throw new InvalidOperationException($"{ort.Method} at {ort.KnobValue} runs {ort.MeanLayers:F3} layers on ONNX Runtime and {core.MeanLayers:F3} on the core engine: the knob did not reach the graph");
        Console.WriteLine(string.Create(c, $"core engine vs ONNX Runtime on the same full model: batch-1 mean {coreFull.Batch1.MeanMs:F3} ms vs {ortFull.Batch1.MeanMs:F3} ms (core / ORT = {coreFull.Batch1.MeanMs / ortFull.Batch1.MeanMs:F2}); " +
            $"batch 32 {coreFull.Throughput:F1} vs {ortFull.Throughput:F1} inputs/s (core / ORT = {coreFull.Throughput / ortFull.Throughput:F2})"));
    }

    /// <summary>Trains the default benchmark model through the command line, once; later runs reuse it.</summary>
    private static string TrainDefaultModel(string glue)
    {
        string folder = Path.Combine(Path.GetTempPath(), "dpbert-onnx-benchmark-model");
        if (DpBertFolder.Exists(Path.Combine(folder, "dpbert"))) return folder;
        string vocab = Path.Combine(FindShared("vocab"), "bert-base-uncased", "vocab.txt");
        Console.Error.WriteLine($"training the benchmark model into {folder} (L6-H256, 8,000 SST-2 sentences, then a planner; a few minutes, once)");
        Cli("finetune", "--task", "sst2", "--model", "L6-H256", "--vocab", vocab, "--output", folder, "--data-dir", glue, "--max-train-samples", "8000",
            "--num-train-epochs", "2", "--max-seq-length", "64", "--learning-rate", "5e-4", "--warmup-ratio", "0.1", "--max-eval-samples", "200");
        Cli("plan", "--task", "sst2", "--model", folder, "--data-dir", glue, "--max-train-samples", "8000", "--max-eval-samples", "200",
            "--max-seq-length", "64", "--rho", "0.5", "--planner-learning-rate", "1e-2", "--backbone-learning-rate", "1e-4");
        return folder;
    }

    private static void Cli(params string[] args)
    {
        int code = CliApp.Run(args, TextWriter.Null, Console.Error);
        if (code != 0) throw new InvalidOperationException($"dpbert {string.Join(' ', args)} failed with exit code {code}");
    }

    private static string FindShared(string name)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            foreach (string root in new[] { dir.FullName, Path.Combine(dir.FullName, "..") })
                if (Directory.Exists(Path.Combine(root, "shared", name))) return Path.GetFullPath(Path.Combine(root, "shared", name));
        throw new DirectoryNotFoundException($"shared/{name} not found above {Directory.GetCurrentDirectory()}; set GLUE_DIR or pass --model");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string CpuName() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
        : "unknown";
}
