using DpBert.Bert;
using DpBert.EarlyExit;
using DpBert.Planning;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// Regression models (<c>num_labels == 1</c>, STS-B) export too: the full, DPBERT and PABEE graphs of a random 3-layer
/// regression model give the core engine's outputs and plans on ONNX Runtime; DeeBERT, whose rule is an entropy over
/// classes, is refused.
/// </summary>
public class RegressionExportTests
{
    internal static readonly BertConfig Config = new()
    {
        VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 24, MaxPositionEmbeddings = 16,
        NumLabelsValue = 1, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
    };

    internal static void Randomize(ParameterSet p, int seed, float scale)
    {
        var rng = new Random(seed);
        foreach (var info in p.Parameters)
        {
            var v = p.Span(info);
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5) * scale;
        }
        p.MarkChanged();
    }

    private static BertBatch Batch()
    {
        var rng = new Random(5);
        int[][] ids = Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, 9).Select(_ => rng.Next(1, 50)).ToArray()).ToArray();
        int[][] mask = Enumerable.Range(0, 12).Select(r => Enumerable.Range(0, 9).Select(t => t < 3 + r % 7 ? 1 : 0).ToArray()).ToArray();
        int[][] types = Enumerable.Range(0, 12).Select(r => Enumerable.Range(0, 9).Select(t => t > 4 && r % 2 == 0 ? 1 : 0).ToArray()).ToArray();
        return BertBatch.FromRows(ids, types, mask);
    }

    private static BertForSequenceClassification Model()
    {
        var model = BertForSequenceClassification.CreateEmpty(Config);
        Randomize(model.Parameters, 1, 1.5f);
        return model;
    }

    [Fact]
    public void Full_dpbert_and_pabee_regression_graphs_match_the_core_engine()
    {
        using var temp = new TempFolder();
        var model = Model();
        var batch = Batch();
        using (var full = new OrtModel(BertOnnxExporter.Save(BertOnnxExporter.BuildFull(model), temp.File("full.onnx")).Path))
            Assert.True(DpBertParityTests.MaxAbsDiff(model.Forward(batch), full.Run(batch).Logits) < 1e-4);

        var planner = new PlanningModule(Config, 1);
        Randomize(planner.Parameters, 2, 4f);
        var dp = new DpBertClassifier(model, planner);
        using (var ort = new OrtModel(BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(model, planner), temp.File("dpbert.onnx")).Path))
        {
            var expected = dp.Predict(batch, 0.5);
            var (logits, flags) = ort.Run(batch, 0.5f);
            Assert.Equal(expected.Select(p => p.Plan), DpBertParityTests.Plans(flags!, batch.BatchSize, 3));
            Assert.True(DpBertParityTests.MaxAbsDiff(expected.SelectMany(p => p.Logits).ToArray(), logits) < 1e-4);
        }

        var heads = new ExitHeads(model, EarlyExitMethod.Pabee);
        Randomize(heads.Parameters, 3, 0.05f);   // small heads: predictions often move less than 0.1 between layers
        var pabee = new EarlyExitClassifier(model, heads);
        using (var ort = new OrtModel(BertOnnxExporter.Save(BertOnnxExporter.BuildEarlyExit(model, EarlyExitMethod.Pabee, heads.Parameters, TokenPooling.Cls), temp.File("pabee.onnx")).Path))
        {
            int early = 0;
            foreach (int patience in new[] { 1, 2 })
            {
                var expected = pabee.Classify(batch, patience);
                var (logits, flags) = ort.Run(batch, knob: ("pabee", patience));
                Assert.Equal(expected.Plans, DpBertParityTests.Plans(flags!, batch.BatchSize, 3));
                Assert.True(DpBertParityTests.MaxAbsDiff(expected.Logits, logits) < 1e-4);
                early += expected.Plans.Count(p => p.ExecutedCount < 3);
            }
            Assert.True(early > 0, "no row exited early");
        }
    }

    [Fact]
    public void DeeBert_on_a_regression_model_is_refused()
    {
        var model = Model();
        var e = Assert.Throws<NotSupportedException>(() => BertOnnxExporter.BuildEarlyExit(model, EarlyExitMethod.DeeBert, new ParameterSet(ExitHeads.Layout(Config, EarlyExitMethod.DeeBert)), TokenPooling.Cls));
        Assert.Contains("does not apply to a regression model", e.Message);
    }

    [Fact]
    public void Exit_heads_of_another_shape_are_named()
    {
        var model = Model();
        var wrong = new ParameterSet(ExitHeads.Layout(Config with { NumLabelsValue = 3 }, EarlyExitMethod.Pabee));
        var e = Assert.Throws<ArgumentException>(() => BertOnnxExporter.BuildEarlyExit(model, EarlyExitMethod.Pabee, wrong, TokenPooling.Cls));
        Assert.Contains("exits.0.classifier.weight is [3, 16]", e.Message);
        var missing = new ParameterSet(ExitHeads.Layout(Config with { NumHiddenLayers = 2 }, EarlyExitMethod.Pabee));
        Assert.Contains("no exits.2.classifier.weight", Assert.Throws<ArgumentException>(() => BertOnnxExporter.BuildEarlyExit(model, EarlyExitMethod.Pabee, missing, TokenPooling.Cls)).Message);
    }
}
