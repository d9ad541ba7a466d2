using System.Globalization;
using System.Text.Json;
using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Benchmarks;

/// <summary>
/// Speed benchmarks, each preceded by a correctness check. Prints a table and one JSON line per figure.
/// <code>
/// gemm                     GFLOP/s at 768x768x768 and 128x3072x768 (managed, OpenBLAS when present)
/// bert [--shape base|mini|...] [--batch B] [--seq S]   forward latency with random weights
/// tokenizer                tokens/s over the SST-2 training sentences (one thread)
/// elementwise              the element-wise kernels against System.Numerics.Tensors' TensorPrimitives, interleaved
/// train [--shape mini] [--batch 32] [--seq 64]         one training step (forward, backward, AdamW)
/// load                     BERT-base safetensors load time from a warm Hugging Face cache
/// peak                     the FMA peak of one core and of all cores (GFLOP/s)
/// plan-bound --model DIR --deebert DIR [--always 2] [--fit 4000] [--min-words 0] [--read-layer k] [--max-seq-length 64] [--task sst2] [--held-out 872] [--held-out-rows whole|any] [--cross-fit 0|N] [--l2 1,10,100,1000]   a classifier: a plan-success predictor per plan on the frozen model against DeeBERT (issue 18); with --cross-fit N it learns on the held-out rows (N folds) and ignores --fit and --min-words
/// held-out-neighbours [--task cola] [--held-out 800] [--held-out-rows any|whole]   how close held-out and dev rows are to their nearest training row (issue 13)
/// skip-probe --model DIR [--fit 2000] [--always 2] [--ridge 0.001] [--max-seq-length 64] [--second affine|attention]   SST-2: bypassed layers as the identity against affine maps or attention alone (issue 18)
/// profile [--shape base] [--batch 1] [--seq 128] [--train 0|1] [--passes N] [--precision fp32|int8|bf16]
///                          per-operation time of a forward or a training step
/// engines [--rounds 3] [--seconds 3] [--only forward-base] [--torch-threads 1,2] [--warmup 2]
///                          core engine vs TorchSharp/libtorch, side by side
/// onnx [--model DIR] [--dpbert DIR] [--thetas 0.5,0.7] [--deebert DIR] [--entropies 0.2,0.4] [--batch1-inputs 300] [--rounds 2]
///      [--ort-threads N] [--ort-spinning 0|1] [--max-seq-length 64]
///                          exported DPBERT (and DeeBERT) vs full graph on ONNX Runtime, and the core engine vs ORT, side by side
/// all                      everything above at the issue's shapes
/// </code>
/// </summary>
internal static class BenchmarkProgram
{
    public static int Run(string[] args)
    {
        string what = args.Length > 0 ? args[0] : "all";
        var options = Options.Parse(args.Skip(1).ToArray());
        Console.WriteLine($"# DpBert benchmarks: {Environment.ProcessorCount} cores, SIMD {Simd.Best}, threads {Environment.GetEnvironmentVariable("DPBERT_THREADS") ?? "all"}, OpenBLAS {(OpenBlas.IsAvailable ? "available" : "absent")}");
        switch (what)
        {
            case "gemm": GemmBenchmark.Run(); break;
            case "bert": BertBenchmark.Run(options.Get("shape", "base"), options.GetInt("batch", 1), options.GetInt("seq", 128), options.Get("backend", "managed")); break;
            case "tokenizer": TokenizerBenchmark.Run(); break;
            case "elementwise": ElementwiseBenchmark.Run(); break;
            case "load": CheckpointLoadBenchmark.Run(); break;
            case "peak": FmaPeakBenchmark.Run(); break;
            case "gemm-tune":
                GemmTuning.Run(options.Get("precisions", "all") switch
                {
                    "all" => false,
                    "fp32" => true,
                    var other => throw new ArgumentException($"--precisions {other}: use all or fp32"),
                });
                break;
            case "attention-tune": AttentionTuning.Run(); HeadTuning.Run(); break;
            case "elementwise-tune": ElementwiseTuning.Run(); SoftmaxTuning.Run(); break;
            case "sequence-groups": SequenceGroupTuning.Run(options.GetInt("rounds", 20)); break;
            case "precision-tune": PrecisionTuning.Run(options.Get("shape", "minilm"), options.GetInt("batch", 1), options.GetInt("seq", 16)); break;
            case "oracle-probe": OracleProbe.Run(options.Get("model", ""), options.Get("plans", ""), options.GetInt("depth-above", 2), options.GetInt("layer", 1)); break;
            case "plan-bound":
                PlanPredictabilityProbe.Run(new PlanPredictabilityProbe.Options(options.Get("model", ""), options.Get("deebert", ""))
                {
                    Always = options.GetInt("always", 2), Fit = options.GetInt("fit", 4000), MinWords = options.GetInt("min-words", 0),
                    MaxLength = options.GetInt("max-seq-length", 64), ReadLayer = options.GetInt("read-layer", 0), Task = options.Get("task", "sst2"),
                    HeldOut = options.GetInt("held-out", 872), CrossFit = options.GetInt("cross-fit", 0),
                    HeldOutRows = HeldOutRows(options, "whole"),
                    L2 = options.GetFloats("l2", PlanPredictabilityProbe.Options.DefaultL2),
                });
                break;
            case "held-out-neighbours":
                HeldOutNeighbourProbe.Run(options.Get("task", "cola"), options.GetInt("held-out", 800), HeldOutRows(options, "any"));
                break;
            case "skip-probe":
                SkipApproximationProbe.Run(options.Get("model", ""), options.GetInt("fit", 2000), options.GetInt("always", 2),
                    options.GetInt("max-seq-length", 64), double.Parse(options.Get("ridge", "0.001"), System.Globalization.CultureInfo.InvariantCulture),
                    options.Get("second", "affine"));
                break;
            case "profile":
                ProfileBenchmark.Run(options.Get("shape", "base"), options.GetInt("batch", 1), options.GetInt("seq", 128), options.GetInt("train", 0) != 0, options.GetInt("passes", 10),
                    InferencePrecisions.Parse(options.Get("precision", "fp32")));
                break;
            case "onnx":
                OnnxRuntimeBenchmark.Run(options.Get("model", "") is { Length: > 0 } m ? m : null, options.Get("dpbert", "") is { Length: > 0 } dp ? dp : null,
                    options.Get("deebert", "") is { Length: > 0 } dee ? dee : null, options.Get("thetas", "0.5,0.7"), options.Get("entropies", "0.2,0.4"), options.GetInt("batch1-inputs", 300),
                    options.GetInt("rounds", 2), options.GetInt("ort-threads", Environment.ProcessorCount), options.GetInt("ort-spinning", 0) == 1, options.GetInt("max-seq-length", 64));
                break;
            case "train": TrainingStepBenchmark.Run(options.Get("shape", "mini"), options.GetInt("batch", 32), options.GetInt("seq", 64)); break;
            case "engines":
                EngineComparisonBenchmark.Run(options.GetInt("rounds", 3), options.GetInt("seconds", 3), options.Get("only", "") is { Length: > 0 } only ? only : null,
                    options.Get("torch-threads", "") is { Length: > 0 } list ? list.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray() : null,
                    options.GetInt("warmup", 2));
                break;
            case "all":
                GemmBenchmark.Run();
                BertBenchmark.Run("base", 1, 128, "managed");
                BertBenchmark.Run("base", 8, 128, "managed");
                BertBenchmark.Run("mini", 1, 128, "managed");
                if (OpenBlas.IsAvailable)
                {
                    BertBenchmark.Run("base", 1, 128, "openblas");
                    BertBenchmark.Run("base", 8, 128, "openblas");
                    BertBenchmark.Run("mini", 1, 128, "openblas");
                }
                TokenizerBenchmark.Run();
                TrainingStepBenchmark.Run("mini", 32, 64);
                break;
            default:
                Console.Error.WriteLine($"unknown benchmark \"{what}\"; use gemm, bert, tokenizer, elementwise, train, load, peak, profile, engines, onnx or all");
                return 2;
        }
        return 0;
    }

    /// <summary>Prints one machine-readable result line.</summary>
    private static DpBert.Glue.HeldOutRows HeldOutRows(Options options, string fallback) => options.Get("held-out-rows", fallback) switch
    {
        "any" => DpBert.Glue.HeldOutRows.Any,
        "whole" => DpBert.Glue.HeldOutRows.Whole,
        var other => throw new ArgumentException($"--held-out-rows {other}: use whole or any"),
    };

    public static void Report(object result) => Console.WriteLine("JSON " + JsonSerializer.Serialize(result));

    private sealed class Options(Dictionary<string, string> values)
    {
        public static Options Parse(string[] args)
        {
            var values = new Dictionary<string, string>();
            for (int i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                    throw new ArgumentException($"expected --name value, got \"{args[i]}\"");
                values[args[i][2..]] = args[++i];
            }
            return new Options(values);
        }

        public string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
        public int GetInt(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        public float[] GetFloats(string name, string fallback) => Get(name, fallback).Split(',')
            .Select(w => float.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : throw new ArgumentException($"--{name} {Get(name, fallback)}: '{w}' is not a number"))
            .ToArray();
    }
}
