using DpBert.Bert;
using DpBert.EarlyExit;
using DpBert.Planning;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// Every reader of the hidden states reads its own input in the exported graphs: a random 3-layer classifier whose pooler
/// reads [CLS] or the mean of the real tokens, with a planner and DeeBERT and PABEE heads that read the other one or the same,
/// gives the core engine's logits and plans on ONNX Runtime. The batch holds rows of every length and one row that is all
/// padding (its mean is over no token: the count is taken as 1). A planner with a head per plan length gives each row the
/// logits of its length's head there too.
/// </summary>
public class MixedReadersExportTests
{
    private static readonly BertConfig Config = RegressionExportTests.Config with { NumLabelsValue = 2 };

    /// <summary>A two-class model with random weights whose pooler reads <paramref name="pooler"/>.</summary>
    private static BertForSequenceClassification RandomModel(TokenPooling pooler)
    {
        var model = BertForSequenceClassification.CreateEmpty(Config.WithPoolerInput(pooler));
        RegressionExportTests.Randomize(model.Parameters, 1, 1.5f);
        return model;
    }

    private static BertBatch Batch()
    {
        var rng = new Random(8);
        int[][] ids = Enumerable.Range(0, 14).Select(_ => Enumerable.Range(0, 9).Select(_ => rng.Next(1, 50)).ToArray()).ToArray();
        int[][] mask = Enumerable.Range(0, 14).Select(r => Enumerable.Range(0, 9).Select(t => r != 5 && t < 1 + r % 9 ? 1 : 0).ToArray()).ToArray();
        int[][] types = Enumerable.Range(0, 14).Select(r => Enumerable.Range(0, 9).Select(t => t > 4 && r % 2 == 0 ? 1 : 0).ToArray()).ToArray();
        return BertBatch.FromRows(ids, types, mask);
    }

    [Theory]
    [InlineData(TokenPooling.Cls, TokenPooling.Mean)]
    [InlineData(TokenPooling.Mean, TokenPooling.Cls)]
    [InlineData(TokenPooling.Mean, TokenPooling.Mean)]
    public void Pooler_planner_and_exit_heads_each_read_their_own_input(TokenPooling pooler, TokenPooling readers)
    {
        using var temp = new TempFolder();
        var model = RandomModel(pooler);
        var batch = Batch();
        Assert.Contains(batch.AttentionMask.Chunk(9), row => row.All(m => m == 0));
        using (var full = new OrtModel(BertOnnxExporter.Save(BertOnnxExporter.BuildFull(model), temp.File("full.onnx")).Path))
            Assert.True(DpBertParityTests.MaxAbsDiff(model.Forward(batch), full.Run(batch).Logits) < 1e-4, "full graph");

        var planner = new PlanningModule(Config, 1, readers);
        RegressionExportTests.Randomize(planner.Parameters, 2, 4f);
        var dpbert = new DpBertClassifier(model, planner);
        using (var ort = new OrtModel(BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(model, planner), temp.File("dpbert.onnx")).Path))
        {
            var expected = dpbert.Predict(batch, 0.5);
            var (logits, flags) = ort.Run(batch, 0.5f);
            Assert.Equal(expected.Select(p => p.Plan), DpBertParityTests.Plans(flags!, batch.BatchSize, 3));
            Assert.True(expected.Select(p => p.Plan).Distinct().Count() > 1, "every row got the same plan: the planner's input is not exercised");
            Assert.True(DpBertParityTests.MaxAbsDiff(expected.SelectMany(p => p.Logits).ToArray(), logits) < 1e-4, "dpbert graph");
        }

        foreach (var method in new[] { EarlyExitMethod.DeeBert, EarlyExitMethod.Pabee })
        {
            var heads = new ExitHeads(model, method, readers);
            RegressionExportTests.Randomize(heads.Parameters, 3, 1.5f);
            if (method == EarlyExitMethod.Pabee)   // a bias towards class 0 at every exit, so predictions often agree between layers and rows exit
            {
                for (int l = 0; l < Config.NumHiddenLayers; l++) heads.Parameters.Span($"exits.{l}.classifier.bias")[0] += 2f;
                heads.Parameters.MarkChanged();
            }
            var classifier = new EarlyExitClassifier(model, heads);
            using var ort = new OrtModel(BertOnnxExporter.Save(BertOnnxExporter.BuildEarlyExit(classifier), temp.File($"{method}.onnx")).Path);
            string name = method == EarlyExitMethod.DeeBert ? "deebert" : "pabee";
            int early = 0;
            foreach (double knob in method == EarlyExitMethod.DeeBert ? MedianFirstExitEntropies(classifier, batch) : [1, 2])
            {
                var expected = classifier.Classify(batch, knob);
                var (logits, flags) = ort.Run(batch, knob: (name, knob));
                Assert.Equal(expected.Plans, DpBertParityTests.Plans(flags!, batch.BatchSize, 3));
                Assert.True(DpBertParityTests.MaxAbsDiff(expected.Logits, logits) < 1e-4, $"{name} at {knob}");
                early += expected.Plans.Count(p => p.ExecutedCount < 3);
            }
            Assert.True(early > 0, $"{name}: no row exited early");
        }
    }

    /// <summary>Both ways round of pooler and planner input at every opset the exporter writes (ReduceMean takes its axes as an input from opset 18).</summary>
    public static TheoryData<TokenPooling, TokenPooling, int> DepthHeadCases()
    {
        var data = new TheoryData<TokenPooling, TokenPooling, int>();
        for (int opset = OnnxExportOptions.MinOpset; opset <= OnnxExportOptions.MaxOpset; opset++)
        {
            data.Add(TokenPooling.Cls, TokenPooling.Mean, opset);
            data.Add(TokenPooling.Mean, TokenPooling.Cls, opset);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(DepthHeadCases))]
    public void A_planner_with_a_head_per_plan_length_classifies_each_row_with_its_lengths_head_on_onnx_runtime(TokenPooling pooler, TokenPooling reads, int opset)
    {
        using var temp = new TempFolder();
        var model = RandomModel(pooler);
        var planner = new PlanningModule(Config, 1, reads, depthHeads: true);
        // Distinct heads (random, each far from the others), so a row classified by the wrong head's weights is caught.
        RegressionExportTests.Randomize(planner.Parameters, 4, 4f);
        var dpbert = new DpBertClassifier(model, planner);
        var batch = Batch();
        var saved = BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(model, planner, new OnnxExportOptions { Opset = opset }), temp.File("dpbert-depth-heads.onnx"));
        Assert.Equal(opset, saved.Opset);
        using var ort = new OrtModel(saved.Path);
        var lengths = new HashSet<int>();
        bool mixed = false;   // rows of one batch classified by different heads in the same run
        foreach (float theta in new[] { 0.02f, 0.3f, 0.5f, 0.7f, 0.98f })
        {
            var expected = dpbert.Predict(batch, theta);
            var (logits, flags) = ort.Run(batch, theta);
            Assert.Equal(expected.Select(p => p.Plan), DpBertParityTests.Plans(flags!, batch.BatchSize, 3));
            Assert.True(DpBertParityTests.MaxAbsDiff(expected.SelectMany(p => p.Logits).ToArray(), logits) < 1e-4, $"theta {theta}");
            lengths.UnionWith(expected.Select(p => p.Plan.ExecutedCount));
            mixed |= expected.Select(p => p.Plan.ExecutedCount).Distinct().Count() > 1;
        }
        Assert.True(mixed, "at every theta all rows took plans of one length: the per-row choice of head is not exercised");
        Assert.True(lengths.Count == 3, $"plans of {string.Join(", ", lengths)} layers only: every head (lengths 1, 2, 3) must be exercised");
    }

    /// <summary>A DeeBERT threshold between the middle two entropies of the first exit, and 0 (no early exit).</summary>
    private static double[] MedianFirstExitEntropies(EarlyExitClassifier classifier, BertBatch batch)
    {
        var first = classifier.Classify(batch, 1e6);
        var sorted = Enumerable.Range(0, batch.BatchSize).Select(r => EarlyExitClassifier.Entropy(first.Logits.AsSpan(r * 2, 2))).Order().ToArray();
        int mid = sorted.Length / 2;
        return [0, (sorted[mid - 1] + sorted[mid]) / 2];
    }
}
