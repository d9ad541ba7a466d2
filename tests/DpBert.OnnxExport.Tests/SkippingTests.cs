using DpBert.Bert;
using DpBert.Planning;
using Xunit.Abstractions;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// Skipping is real inside ONNX Runtime: a planned layer whose weights are all NaN poisons exactly the rows that run it;
/// every row whose plan bypasses it keeps finite logits equal to the core engine's with the clean weights.
/// </summary>
[Collection(TrainedDpBertCollection.Name)]
public class SkippingTests(TrainedDpBertFixture model, ITestOutputHelper log)
{
    [Fact]
    public void A_layer_of_nan_weights_only_reaches_the_rows_whose_plan_runs_it()
    {
        var dp = model.DpBert;
        int layers = dp.Model.Config.NumHiddenLayers, pad = model.Full.Config.PadTokenId;
        var batch = model.Dev.Batch(Enumerable.Range(0, 32).ToArray(), pad);
        // A theta and a planned layer that split this batch: some rows run the layer, others bypass it.
        var (theta, layer, clean) = FindSplit(dp, batch);
        using var temp = new TempFolder();
        var poisoned = WithNanLayer(dp.Model, layer);
        string path = BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(poisoned, dp.Planner), temp.File("nan.onnx")).Path;
        using var ort = new OrtModel(path);

        var (logits, flags) = ort.Run(batch, theta);
        var plans = DpBertParityTests.Plans(flags!, 32, layers);
        int n = model.Full.Config.NumLabels, skipped = 0;
        for (int r = 0; r < 32; r++)
        {
            Assert.Equal(clean[r].Plan, plans[r]);
            var row = logits.AsSpan(r * n, n).ToArray();
            if (plans[r].Runs(layer)) { Assert.All(row, v => Assert.True(float.IsNaN(v), $"row {r} ran layer {layer} of NaN weights but got {v}")); continue; }
            skipped++;
            Assert.All(row, v => Assert.True(float.IsFinite(v), $"row {r} bypassed layer {layer} but got {v}"));
            Assert.True(DpBertParityTests.MaxAbsDiff(clean[r].Logits, row) < 1e-4, $"row {r}");
        }
        // At batch 1 a sentence that bypasses the layer never touches it.
        int first = Enumerable.Range(0, 32).First(r => !plans[r].Runs(layer));
        var (single, _) = ort.Run(batch.Slice(first, 1), theta);
        Assert.All(single, v => Assert.True(float.IsFinite(v)));
        log.WriteLine($"theta {theta:F3}: layer {layer} NaN; {skipped} of 32 rows bypass it (finite, equal to the clean core engine), {32 - skipped} run it (NaN)");
    }

    [Fact]
    public void A_layer_no_row_selects_costs_nothing_even_when_it_is_all_nan()
    {
        var dp = model.DpBert;
        var batch = model.Dev.Batch(Enumerable.Range(32, 32).ToArray(), model.Full.Config.PadTokenId);
        const float theta = 0.999f;   // nothing but the always-run layers
        var clean = dp.Predict(batch, theta);
        Assert.All(clean, p => Assert.Equal(dp.Planner.AlwaysRunLayers, p.Plan.ExecutedCount));
        var poisoned = dp.Model;
        for (int l = dp.Planner.AlwaysRunLayers; l < dp.Model.Config.NumHiddenLayers; l++) poisoned = WithNanLayer(poisoned, l);
        using var temp = new TempFolder();
        string path = BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(poisoned, dp.Planner), temp.File("nan.onnx")).Path;
        using var ort = new OrtModel(path);
        var (logits, _) = ort.Run(batch, theta);
        Assert.True(DpBertParityTests.MaxAbsDiff(clean.SelectMany(p => p.Logits).ToArray(), logits) < 1e-4);
    }

    private static (float Theta, int Layer, IReadOnlyList<PlannedPrediction> Clean) FindSplit(DpBertClassifier dp, BertBatch batch)
    {
        var probabilities = dp.Predict(batch, 0.5).Select(p => p.LayerProbabilities).ToList();
        for (int i = 0; i < dp.Planner.PlannedLayers; i++)
        {
            var sorted = probabilities.Select(p => p[i]).Order().ToArray();
            int gap = Enumerable.Range(8, 16).MaxBy(j => sorted[j + 1] - sorted[j]);
            if (!(sorted[gap + 1] > sorted[gap])) continue;
            float theta = (sorted[gap] + sorted[gap + 1]) / 2;
            return (theta, dp.Planner.AlwaysRunLayers + i, dp.Predict(batch, theta));
        }
        throw new InvalidOperationException("the planner gives every row the same probabilities; no theta splits the batch");
    }

    /// <summary>A copy of <paramref name="model"/> whose layer <paramref name="layer"/> has every weight and bias NaN.</summary>
    internal static BertForSequenceClassification WithNanLayer(BertForSequenceClassification model, int layer)
    {
        var copy = BertForSequenceClassification.CreateEmpty(model.Config);
        model.Parameters.Data.CopyTo(copy.Parameters.Data, 0);
        foreach (var p in copy.Parameters.Parameters.Where(p => p.Name.StartsWith($"bert.encoder.layer.{layer}.", StringComparison.Ordinal)))
            copy.Parameters.Span(p).Fill(float.NaN);
        copy.Parameters.MarkChanged();
        return copy;
    }
}
