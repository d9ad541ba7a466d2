using DpBert.Bert;
using DpBert.Training;

namespace DpBert.Benchmarks;

/// <summary>
/// One training step (forward, backward, AdamW) at the shapes of <c>torch_bert.py --train</c>: random weights,
/// random ids, 2 labels, dropout as BERT's default (0.1). Checked first: the loss must fall over a few steps
/// on a fixed batch.
/// </summary>
internal static class TrainingStepBenchmark
{
    public static void Run(string shape, int batch, int seq)
    {
        if (!BertBenchmark.Shapes.TryGetValue(shape, out var s)) throw new ArgumentException($"unknown shape \"{shape}\"");
        var config = new BertConfig
        {
            NumHiddenLayers = s.Layers, HiddenSize = s.Hidden, NumAttentionHeads = s.Heads, IntermediateSize = s.Intermediate, NumLabelsValue = 2,
        };
        var model = BertForSequenceClassification.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, seed: 1);
        var grads = model.Parameters.CreateLike();
        var acts = new BertTrainingActivations(config);
        var optimizer = new AdamW(model.Parameters, grads, new AdamWOptions(1e-4));
        var input = BertBenchmark.RandomBatch(config, batch, seq, 5);
        var labels = Enumerable.Range(0, batch).Select(i => i % 2).ToArray();
        ulong step = 0;
        float Step()
        {
            Gradients.Zero(grads);
            float loss = model.ForwardBackward(input, acts, grads, labels, default, step++).Loss;
            optimizer.Step(1e-4);
            return loss;
        }
        float first = Step();
        float last = first;
        for (int i = 0; i < 5; i++) last = Step();
        if (!(last < first)) throw new InvalidOperationException($"training does not learn a fixed batch: loss {first} -> {last}");
        var t = Timing.Measure(() => Step(), warmup: 2, minRuns: 10, minSeconds: 4);
        double tokens = (double)batch * seq;
        Console.WriteLine($"train {shape,-6} batch {batch,2} x seq {seq}: median {t.MedianMs,8:F2} ms per step  (p10 {t.P10Ms:F2}, p90 {t.P90Ms:F2}, {t.Runs} runs)  {tokens / (t.MedianMs / 1e3):N0} tokens/s");
        BenchmarkProgram.Report(new { bench = "train", shape, batch, seq, median_ms = t.MedianMs, p10_ms = t.P10Ms, p90_ms = t.P90Ms, runs = t.Runs, tokens_per_second = tokens / (t.MedianMs / 1e3) });
    }
}
