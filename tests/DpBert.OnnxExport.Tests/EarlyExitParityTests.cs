using DpBert.Bert;
using DpBert.EarlyExit;
using Xunit.Abstractions;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// The exported DeeBERT and PABEE graphs against the core engine's early-exit inference on ONNX Runtime, on the SST-2 dev
/// set (batch 32 over all 872 sentences, batch 1 over the first 300, to keep CI short): logits within 1e-4 and identical
/// plans (exit layers) for several knob settings; for heads that read [CLS] and for heads (and a model pooler) that read
/// the mean of the real tokens.
/// </summary>
[Collection(TrainedDpBertCollection.Name)]
public class EarlyExitParityTests(TrainedDpBertFixture model, ITestOutputHelper log)
{
    [Theory]
    [InlineData("deebert", "cls")]
    [InlineData("pabee", "cls")]
    [InlineData("deebert", "mean")]
    [InlineData("pabee", "mean")]
    public void Early_exit_graph_matches_the_core_engine(string method, string reads)
    {
        var classifier = EarlyExitFolder.Load(Path.Combine(model.ModelFolderReading(reads), method)).Classifier;
        Assert.Equal(reads, TokenPoolings.Name(classifier.Heads.Input));
        Assert.Equal(reads, TokenPoolings.Name(classifier.Model.Config.PoolerInput));   // DeeBERT's last exit reads what the pooler reads
        using var temp = new TempFolder();
        string path = BertOnnxExporter.Save(BertOnnxExporter.BuildEarlyExit(classifier), temp.File(method + ".onnx")).Path;
        using var ort = new OrtModel(path);
        int layers = classifier.Model.Config.NumHiddenLayers, pad = model.Full.Config.PadTokenId, early = 0;
        foreach (double knob in Knobs(classifier))
        {
            foreach (int size in new[] { 1, 32 })
            {
                double worst = 0, layersRun = 0;
                int count = size == 1 ? 300 : model.Dev.Count;
                for (int start = 0; start < count; start += size)
                {
                    var batch = model.Dev.Batch(Enumerable.Range(start, Math.Min(size, count - start)).ToArray(), pad);
                    var expected = classifier.Classify(batch, knob);
                    var (logits, flags) = ort.Run(batch, knob: (method, knob));
                    var plans = DpBertParityTests.Plans(flags!, batch.BatchSize, layers);
                    for (int r = 0; r < batch.BatchSize; r++)
                        Assert.True(expected.Plans[r] == plans[r], $"{method} {knob}, batch {size}, row {start + r}: core plan {expected.Plans[r]}, ONNX Runtime plan {plans[r]}");
                    worst = Math.Max(worst, DpBertParityTests.MaxAbsDiff(expected.Logits, logits));
                    layersRun += plans.Sum(p => p.ExecutedCount);
                    early += plans.Count(p => p.ExecutedCount < layers);
                }
                log.WriteLine($"{method} ({reads}) {classifier.Method.Knob!.Name} {knob:G4}, batch {size}: plans identical, {count} sentences, mean layers {layersRun / count:F2}, max |logit diff| {worst:E2}");
                Assert.True(worst < 1e-4, $"{method} {knob}, batch {size}: max |logit diff| {worst:E2}");
            }
        }
        Assert.True(early > 0, "no input exited early: the knobs do not exercise the exits");
    }

    /// <summary>PABEE: patience 1 to 3. DeeBERT: 0 (never early) and thresholds in the widest gaps of the first exit's entropies.</summary>
    private IEnumerable<double> Knobs(EarlyExitClassifier classifier)
    {
        if (classifier.Heads.Method == EarlyExitMethod.Pabee) return [1, 2, 3];
        // The first exit's entropies over the dev set, from the core engine: with a threshold above any entropy every row
        // leaves at the first layer, with that exit's logits.
        var batch = model.Dev.Batch(Enumerable.Range(0, model.Dev.Count).ToArray(), model.Full.Config.PadTokenId);
        var first = classifier.Classify(batch, 1e6);
        int n = model.Full.Config.NumLabels;
        Assert.All(first.Plans, p => Assert.Equal(1, p.ExecutedCount));
        var sorted = Enumerable.Range(0, batch.BatchSize).Select(r => EarlyExitClassifier.Entropy(first.Logits.AsSpan(r * n, n))).Order().ToArray();
        double Gap(double q)
        {
            int lo = (int)(q * sorted.Length), widest = Enumerable.Range(lo, sorted.Length / 10).MaxBy(j => sorted[j + 1] - sorted[j]);
            return (sorted[widest] + sorted[widest + 1]) / 2;
        }
        return [0, Gap(0.2), Gap(0.5)];
    }
}
