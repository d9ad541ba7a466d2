using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Benchmarks;

/// <summary>
/// BERT forward latency with random weights at the shapes of <c>../shared/bench/torch_bert.py</c>
/// (the same arithmetic: post-LN layers, erf GELU, tanh pooler, 2-label classifier).
/// </summary>
internal static class BertBenchmark
{
    public static readonly Dictionary<string, (int Layers, int Hidden, int Heads, int Intermediate)> Shapes = new()
    {
        ["tiny"] = (2, 128, 2, 512), ["mini"] = (4, 256, 4, 1024), ["small"] = (4, 512, 8, 2048),
        ["medium"] = (8, 512, 8, 2048), ["base"] = (12, 768, 12, 3072),
        ["minilm"] = (6, 384, 12, 1536),   // all-MiniLM-L6-v2, the pre-trained model served by NuGet
    };

    public static void Run(string shape, int batch, int seq, string backend)
    {
        var model = RandomModel(shape, dropout: 0);
        var config = model.Config;
        var batchInput = RandomBatch(config, batch, seq, 3);
        var chosen = backend switch
        {
            "managed" => GemmBackend.Managed,
            "openblas" => GemmBackend.OpenBlas,
            _ => throw new ArgumentException($"unknown backend \"{backend}\"; use managed or openblas"),
        };
        CheckAgainstReference(model, config, chosen);
        var saved = Gemm.Backend;
        Gemm.Backend = chosen;
        try
        {
            var t = Timing.Measure(() => model.Forward(batchInput), warmup: 3, minRuns: 15, minSeconds: 4);
            double flops = Flops(config, batch, seq);
            double gflops = flops / (t.MedianMs * 1e-3) / 1e9;
            Console.WriteLine($"bert {shape,-6} {backend,-9} batch {batch,2} x seq {seq}: median {t.MedianMs,8:F2} ms  (p10 {t.P10Ms:F2}, p90 {t.P90Ms:F2}, {t.Runs} runs)  {gflops:F1} GFLOP/s");
            BenchmarkProgram.Report(new { bench = "bert", shape, backend, batch, seq, median_ms = t.MedianMs, p10_ms = t.P10Ms, p90_ms = t.P90Ms, runs = t.Runs, gflops });
        }
        finally { Gemm.Backend = saved; }
    }

    /// <summary>
    /// A classifier of one of <see cref="Shapes"/> with random weights (BERT's initialisation, biases and LayerNorm
    /// lifted away from 0/1 so a wrong kernel shows in a check) and the given dropout.
    /// </summary>
    public static BertForSequenceClassification RandomModel(string shape, float dropout)
    {
        if (!Shapes.TryGetValue(shape, out var s)) throw new ArgumentException($"unknown shape \"{shape}\"; use {string.Join(", ", Shapes.Keys)}");
        var config = new BertConfig
        {
            NumHiddenLayers = s.Layers, HiddenSize = s.Hidden, NumAttentionHeads = s.Heads, IntermediateSize = s.Intermediate,
            NumLabelsValue = 2, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout,
        };
        var model = BertForSequenceClassification.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, seed: 1);
        var rng = new Random(2);
        foreach (var p in model.Parameters.Parameters.Where(p => p.Shape.Length == 1))
        {
            var v = model.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] += (float)(rng.NextDouble() - 0.5) * 0.2f;
        }
        model.Parameters.MarkChanged();
        return model;
    }

    /// <summary>Multiply-add count of the forward pass (GEMMs and attention; the small ops are ignored).</summary>
    public static double Flops(BertConfig c, int batch, int seq)
    {
        double t = (double)batch * seq, h = c.HiddenSize, i = c.IntermediateSize;
        double perLayer = 2 * t * h * (4 * h + 2 * i) + 2 * 2 * batch * (double)seq * seq * h;
        return c.NumHiddenLayers * perLayer + 2 * batch * h * h;
    }

    /// <summary>Before timing: logits of a short batch must match the scalar reference GEMM path.</summary>
    private static void CheckAgainstReference(BertForSequenceClassification model, BertConfig config, GemmBackend backend)
    {
        var small = RandomBatch(config, 2, 8, 4);
        var saved = Gemm.Backend;
        try
        {
            Gemm.Backend = GemmBackend.Reference;
            var expected = model.Forward(small);
            Gemm.Backend = backend;
            var actual = model.Forward(small);
            for (int i = 0; i < expected.Length; i++)
            {
                if (Math.Abs(expected[i] - actual[i]) > 1e-3 + 1e-3 * Math.Abs(expected[i]))
                    throw new InvalidOperationException($"{backend} logits differ from the reference: [{i}] {actual[i]} vs {expected[i]}");
            }
        }
        finally { Gemm.Backend = saved; }
    }

    public static BertBatch RandomBatch(BertConfig config, int batch, int seq, int seed)
    {
        var rng = new Random(seed);
        var ids = new int[batch * seq];
        var types = new int[batch * seq];
        var mask = new int[batch * seq];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = rng.Next(1000, config.VocabSize);
            types[i] = i % seq < seq / 2 ? 0 : 1;
            mask[i] = 1;
        }
        return new BertBatch(ids, types, mask, batch, seq);
    }
}
