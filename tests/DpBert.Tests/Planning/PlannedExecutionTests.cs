using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tests.Bert;
using DpBert.Tests.Tensors;

namespace DpBert.Tests.Planning;

/// <summary>Real layer skipping: exact equivalences with the full model and with models whose layers are removed.</summary>
public class PlannedExecutionTests
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
        var actual = new PlannedExecution(model).Forward(Batch(), [LayerPlan.Full(4), LayerPlan.Full(4), LayerPlan.Full(4)]);
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
        var planned = new PlannedExecution(model).Forward(Batch(), [plan, plan, plan]);
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

    [Fact]
    public void Mixed_plans_in_a_batch_agree_with_each_input_run_alone()
    {
        var model = FourLayerModel();
        LayerPlan[] plans = [LayerPlan.Parse("1010"), LayerPlan.Parse("1111"), LayerPlan.Parse("0001")];
        var execution = new PlannedExecution(model);
        var batched = execution.Forward(Batch(), plans);
        for (int r = 0; r < Rows.Length; r++)
        {
            int length = Rows[r].Count(id => id != 0);
            var single = execution.Forward(BertBatch.FromRows([Rows[r][..length]]), [plans[r]]);
            KernelAssert.Close(single, batched.AsSpan(r * 2, 2), 1e-5, 0, $"row {r} plan {plans[r]}");
        }
        // Planned execution is deterministic.
        Assert.Equal(batched, execution.Forward(Batch(), plans));
    }

    [Fact]
    public void Plans_that_do_not_fit_are_rejected_clearly()
    {
        var model = FourLayerModel();
        var execution = new PlannedExecution(model);
        Assert.Contains("2 layer plans for a batch of 3", Assert.Throws<ArgumentException>(() => execution.Forward(Batch(), [LayerPlan.Full(4), LayerPlan.Full(4)])).Message);
        Assert.Contains("covers 3 layers; the model has 4", Assert.Throws<ArgumentException>(() => execution.Forward(Batch(), [LayerPlan.Full(4), LayerPlan.Full(3), LayerPlan.Full(4)])).Message);
        Assert.Contains("character 3 is '2'", Assert.Throws<FormatException>(() => LayerPlan.Parse("102")).Message);
        Assert.Equal("1100", LayerPlan.FirstLayers(4, 2).ToString());
        Assert.Equal(2, LayerPlan.Parse("0110").ExecutedCount);
    }
}
