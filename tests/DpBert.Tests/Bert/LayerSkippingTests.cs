using DpBert.Bert;
using DpBert.Tests.Tensors;

namespace DpBert.Tests.Bert;

/// <summary>Real layer skipping in the encoder pass: exact equivalences with the full model and with models whose layers are removed.</summary>
public class LayerSkippingTests
{
    private static BertForSequenceClassification FourLayerModel()
    {
        // The golden tiny model's weights, with its two layers used twice over (a 4-layer model).
        var golden = GoldenForwardTests.LoadTinyModel();
        var config = golden.Config with { NumHiddenLayers = 4 };
        var model = BertForSequenceClassification.CreateEmpty(config);
        foreach (var p in model.Parameters.Parameters)
        {
            string source = p.Name.Replace("layer.2.", "layer.0.").Replace("layer.3.", "layer.1.");
            golden.Parameters.Span(source).CopyTo(model.Parameters.Span(p));
        }
        model.Parameters.MarkChanged();
        return model;
    }

    private static readonly int[][] Rows =
    [
        [101, 2023, 3185, 2001, 2307, 102, 0, 0],
        [101, 1037, 2659, 102, 0, 0, 0, 0],
        [101, 2307, 2143, 1998, 3325, 2242, 2006, 102],
    ];

    private static BertBatch Batch() =>
        BertBatch.FromRows(Rows, null, Rows.Select(r => r.Select(id => id == 0 ? 0 : 1).ToArray()).ToArray());

    [Fact]
    public void Full_plans_give_exactly_the_full_models_logits()
    {
        var model = FourLayerModel();
        var expected = model.Forward(Batch());
        var actual = model.Forward(Batch(), new FixedPlans([LayerPlan.Full(4), LayerPlan.Full(4), LayerPlan.Full(4)]));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void Skipping_layer_i_equals_the_model_with_layer_i_removed(int skipped)
    {
        var model = FourLayerModel();
        var plan = new LayerPlan(Enumerable.Range(0, 4).Select(l => l != skipped));
        var planned = model.Forward(Batch(), new FixedPlans([plan, plan, plan]));
        // Reference: a 3-layer model built from the remaining layers' weights.
        var config = model.Config with { NumHiddenLayers = 3 };
        var removed = BertForSequenceClassification.CreateEmpty(config);
        var kept = Enumerable.Range(0, 4).Where(l => l != skipped).ToArray();
        foreach (var p in removed.Parameters.Parameters)
        {
            string source = p.Name;
            for (int l = 0; l < 3; l++) source = source.Replace($"encoder.layer.{l}.", $"encoder.layer.#{kept[l]}.");
            model.Parameters.Span(source.Replace("#", "")).CopyTo(removed.Parameters.Span(p));
        }
        removed.Parameters.MarkChanged();
        Assert.Equal(removed.Forward(Batch()), planned);
    }

    [Theory]
    [InlineData(TokenPooling.Cls)]
    [InlineData(TokenPooling.Mean)]
    public void Mixed_plans_in_a_batch_agree_with_each_input_run_alone(TokenPooling poolerInput)
    {
        var fourLayers = FourLayerModel();
        var model = new BertForSequenceClassification(fourLayers.Config.WithPoolerInput(poolerInput), fourLayers.Parameters);
        LayerPlan[] plans = [LayerPlan.Parse("1010"), LayerPlan.Parse("1111"), LayerPlan.Parse("0001")];
        var batched = model.Forward(Batch(), new FixedPlans(plans));
        for (int r = 0; r < Rows.Length; r++)
        {
            int length = Rows[r].Count(id => id != 0);
            var single = model.Forward(BertBatch.FromRows([Rows[r][..length]]), new FixedPlans([plans[r]]));
            KernelAssert.Close(single, batched.AsSpan(r * 2, 2), 1e-5, 0, $"row {r} plan {plans[r]}");
        }
        // Planned execution is deterministic.
        Assert.Equal(batched, model.Forward(Batch(), new FixedPlans(plans)));
    }

    [Fact]
    public void Plans_that_do_not_fit_are_rejected_clearly()
    {
        var model = FourLayerModel();
        Assert.Contains("2 layer plans for a batch of 3", Assert.Throws<ArgumentException>(() => model.Forward(Batch(), new FixedPlans([LayerPlan.Full(4), LayerPlan.Full(4)]))).Message);
        Assert.Contains("covers 3 layers; the model has 4", Assert.Throws<ArgumentException>(() => model.Forward(Batch(), new FixedPlans([LayerPlan.Full(4), LayerPlan.Full(3), LayerPlan.Full(4)]))).Message);
        Assert.Contains("character 3 is '2'", Assert.Throws<FormatException>(() => LayerPlan.Parse("102")).Message);
        Assert.Equal("1100", LayerPlan.FirstLayers(4, 2).ToString());
        Assert.Equal(2, LayerPlan.Parse("0110").ExecutedCount);
    }

    [Fact]
    public void Bypassed_layers_are_never_computed()
    {
        // Layer 2's weights are NaN: any row that runs it ends with NaN logits, any row that skips it stays finite.
        var model = FourLayerModel();
        foreach (var p in model.Parameters.Parameters.Where(p => p.Name.Contains("encoder.layer.2.")))
            model.Parameters.Span(p).Fill(float.NaN);
        model.Parameters.MarkChanged();
        LayerPlan[] plans = [LayerPlan.Parse("1101"), LayerPlan.Parse("1111"), LayerPlan.Parse("0100")];
        var logits = model.Forward(Batch(), new FixedPlans(plans));
        for (int r = 0; r < plans.Length; r++)
        {
            var row = logits.AsSpan(r * 2, 2).ToArray();
            if (plans[r].Runs(2)) Assert.All(row, v => Assert.True(float.IsNaN(v), $"row {r} ran layer 3 yet has finite logits"));
            else Assert.All(row, v => Assert.True(float.IsFinite(v), $"row {r} skipped layer 3 yet has logits {v}"));
        }
        // Alone (batch 1) too.
        Assert.All(model.Forward(BertBatch.FromRows([Rows[0][..6]]), new FixedPlans(LayerPlan.Parse("1101"))), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void The_encoder_pass_does_not_run_the_pooler()
    {
        // Hidden states alone (embeddings, feature extraction) never touch the pooler: NaN pooler weights leave them finite.
        var model = FourLayerModel();
        model.Parameters.Span("bert.pooler.dense.weight").Fill(float.NaN);
        model.Parameters.MarkChanged();
        var state = model.Bert.Forward(Batch());
        Assert.All(state.Hidden.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.All(model.Bert.Pool(3, Batch().SequenceLength).ToArray(), v => Assert.True(float.IsNaN(v)));
    }
}
