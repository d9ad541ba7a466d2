using DpBert.Bert;
using DpBert.Planning;
using Xunit.Abstractions;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// The exported graphs of a trained DPBERT model against the core engine, on ONNX Runtime, over the SST-2 dev set:
/// logits within 1e-4 and identical plans at batch 1 and batch 32 for several thetas. Each test runs on the model whose
/// pooler and planner read [CLS] and on the one whose read the mean of the real tokens.
/// </summary>
[Collection(TrainedDpBertCollection.Name)]
public class DpBertParityTests(TrainedDpBertFixture model, ITestOutputHelper log)
{
    private const double Tolerance = 1e-4;

    private IEnumerable<BertBatch> Batches(int size)
    {
        // Both models share the tokenizer and the padding id, so one encoding of the dev set serves both.
        for (int start = 0; start < model.Dev.Count; start += size)
            yield return model.Dev.Batch(Enumerable.Range(start, Math.Min(size, model.Dev.Count - start)).ToArray(), model.Full.Config.PadTokenId);
    }

    [Theory]
    [InlineData("cls")]
    [InlineData("mean")]
    public void Full_graph_matches_the_core_engine_at_batch_1_and_32(string reads)
    {
        using var temp = new TempFolder();
        var full = model.FullReading(reads).Model;
        string path = BertOnnxExporter.Save(BertOnnxExporter.BuildFull(full), temp.File("full.onnx")).Path;
        using var ort = new OrtModel(path);
        foreach (int size in new[] { 1, 32 })
        {
            double worst = 0;
            foreach (var batch in Batches(size))
            {
                var expected = full.Forward(batch);
                var (actual, _) = ort.Run(batch);
                worst = Math.Max(worst, MaxAbsDiff(expected, actual));
            }
            log.WriteLine($"full graph ({reads}), batch {size}: max |logit diff| {worst:E2} over {model.Dev.Count} SST-2 dev sentences");
            Assert.True(worst < Tolerance, $"batch {size}: max |logit diff| {worst:E2}");
        }
    }

    [Theory]
    [InlineData("cls")]
    [InlineData("mean")]
    public void DpBert_graph_matches_the_core_engine_logits_and_plans_for_several_thetas(string reads)
    {
        using var temp = new TempFolder();
        var dpbert = model.DpBertReading(reads);
        string path = BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(dpbert.Model, dpbert.Planner), temp.File("dpbert.onnx")).Path;
        using var ort = new OrtModel(path);
        int mixedBatches = 0;
        foreach (float theta in Thetas(dpbert))
        {
            foreach (int size in new[] { 1, 32 })
            {
                double worst = 0;
                int rows = 0, layersRun = 0;
                foreach (var batch in Batches(size))
                {
                    var expected = dpbert.Predict(batch, theta);
                    var (logits, plan) = ort.Run(batch, theta);
                    var plans = Plans(plan!, batch.BatchSize, dpbert.Model.Config.NumHiddenLayers);
                    for (int r = 0; r < batch.BatchSize; r++)
                        Assert.True(expected[r].Plan == plans[r], $"theta {theta}, batch {size}, row {rows + r}: core plan {expected[r].Plan}, ONNX Runtime plan {plans[r]}");
                    worst = Math.Max(worst, MaxAbsDiff(expected.SelectMany(p => p.Logits).ToArray(), logits));
                    if (plans.Distinct().Count() > 1) mixedBatches++;
                    rows += batch.BatchSize;
                    layersRun += plans.Sum(p => p.ExecutedCount);
                }
                log.WriteLine($"dpbert ({reads}) theta {theta:F3}, batch {size}: plans identical for {rows} sentences, mean layers {(double)layersRun / rows:F2}, max |logit diff| {worst:E2}");
                Assert.True(worst < Tolerance, $"theta {theta}, batch {size}: max |logit diff| {worst:E2}");
            }
        }
        // The per-row path (NonZero, GatherND, ScatterND on part of a batch) must have been exercised.
        Assert.True(mixedBatches > 0, "no batch of 32 mixed plans: the thetas do not exercise per-row skipping");
    }

    /// <summary>
    /// Round thetas, plus for each planned layer a theta inside its middle probabilities (in the widest gap between the
    /// 40th and 60th percentile, so no sentence sits on the threshold) that splits the dev set and so mixes plans in batches.
    /// </summary>
    private IEnumerable<float> Thetas(Planning.DpBertClassifier dpbert)
    {
        var probabilities = Batches(32).SelectMany(b => dpbert.Predict(b, 0.5)).Select(p => p.LayerProbabilities).ToList();
        var splits = new List<float>();
        for (int i = 0; i < dpbert.Planner.PlannedLayers; i++)
        {
            var sorted = probabilities.Select(p => p[i]).Order().ToArray();
            int lo = sorted.Length * 2 / 5, hi = sorted.Length * 3 / 5;
            int widest = Enumerable.Range(lo, hi - lo).MaxBy(j => sorted[j + 1] - sorted[j]);
            float theta = (sorted[widest] + sorted[widest + 1]) / 2;
            if (theta is > 0.01f and < 0.99f && sorted[widest + 1] > sorted[widest]) splits.Add(theta);
        }
        return new[] { 0.1f, 0.5f, 0.9f }.Concat(splits).Distinct();
    }

    internal static LayerPlan[] Plans(bool[] flags, int batchSize, int layers) =>
        Enumerable.Range(0, batchSize).Select(r => new LayerPlan(flags.AsSpan(r * layers, layers).ToArray())).ToArray();

    internal static double MaxAbsDiff(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        return worst;
    }
}
