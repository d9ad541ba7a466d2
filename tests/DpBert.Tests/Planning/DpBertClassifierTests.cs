using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tests.Bert;
using DpBert.Tests.Tensors;

namespace DpBert.Tests.Planning;

/// <summary>Planner-driven inference: the theta knob, determinism, and equivalence with explicit plans.</summary>
public class DpBertClassifierTests
{
    private static (BertForSequenceClassification Model, PlanningModule Planner) Setup(float outputBias)
    {
        var model = GoldenForwardTests.LoadTinyModel();
        var planner = new PlanningModule(model.Config, alwaysRunLayers: 1);
        var rng = new Random(3);
        foreach (var p in planner.Parameters.Parameters)
        {
            var v = planner.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
        }
        planner.Parameters.Span("planner.output.bias").Fill(outputBias);
        planner.Parameters.MarkChanged();
        return (model, planner);
    }

    private static BertBatch Batch() => BertBatch.FromRows([[101, 2023, 2003, 1037, 2204, 3185, 102], [101, 2919, 102, 0, 0, 0, 0]], null,
        [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 0]]);

    [Fact]
    public void Confident_planner_runs_everything_and_matches_the_full_model()
    {
        var (model, planner) = Setup(outputBias: 10f);
        var predictions = new DpBertClassifier(model, planner).Predict(Batch(), theta: 0.5);
        Assert.All(predictions, p => Assert.Equal("11", p.Plan.ToString()));
        var full = model.Forward(Batch());
        Assert.Equal(full, predictions.SelectMany(p => p.Logits).ToArray());
    }

    [Fact]
    public void Theta_is_a_run_time_knob_and_plans_are_deterministic()
    {
        var (model, planner) = Setup(outputBias: 0f);
        var classifier = new DpBertClassifier(model, planner);
        var low = classifier.Predict(Batch(), theta: 0.01);
        var high = classifier.Predict(Batch(), theta: 0.99);
        Assert.All(low, p => Assert.Equal("11", p.Plan.ToString()));
        Assert.All(high, p => Assert.Equal("10", p.Plan.ToString()));
        // Skipping layer 1 equals running the model without it; the same call twice gives the same answer.
        var withoutLayer1 = model.Forward(Batch(), new FixedPlans(LayerPlan.Parse("10")));
        Assert.Equal(withoutLayer1, high.SelectMany(p => p.Logits).ToArray());
        Assert.Equal(high.Select(p => p.Plan), classifier.Predict(Batch(), theta: 0.99).Select(p => p.Plan));
        Assert.All(high, p => Assert.InRange(p.LayerProbabilities[0], 0.3f, 0.7f));
    }

    [Fact]
    public void A_mean_input_planner_reads_the_mean_of_each_inputs_real_tokens()
    {
        var (model, cls) = Setup(outputBias: 0f);
        var mean = new PlanningModule(model.Config, alwaysRunLayers: 1, TokenPooling.Mean);
        cls.Parameters.Data.CopyTo(mean.Parameters.Data);
        mean.Parameters.MarkChanged();
        var batch = Batch();
        var states = new HiddenStateRecorder();
        model.Bert.Forward(batch, states);
        float[] hidden = states.States[1];   // after the always-run layer: what the planner reads
        int s = batch.SequenceLength, h = model.Config.HiddenSize;
        // Reference: the [CLS] planner on states whose [CLS] row holds the mean of the real tokens, summed in double.
        var replaced = (float[])hidden.Clone();
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < h; j++)
            {
                double sum = 0;
                int count = 0;
                for (int t = 0; t < s; t++)
                    if (batch.AttentionMask[r * s + t] == 1) { sum += hidden[(r * s + t) * h + j]; count++; }
                replaced[r * s * h + j] = (float)(sum / count);
            }
        float[] expected = cls.Logits(replaced, default, 2, s);
        float[] actual = mean.Logits(hidden, batch.AttentionMask, 2, s);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        Assert.NotEqual(cls.Logits(hidden, default, 2, s), actual);   // [CLS] alone reads something else

        // Padding is not read; the classifier plans from these logits.
        var padded = (float[])hidden.Clone();
        padded[(1 * s + 5) * h + 3] += 100f;   // row 1 has 3 real tokens: position 5 is padding
        Assert.Equal(actual, mean.Logits(padded, batch.AttentionMask, 2, s));
        var predictions = new DpBertClassifier(model, mean).Predict(batch, theta: 0.5);
        for (int r = 0; r < 2; r++) Assert.Equal(1 / (1 + Math.Exp(-actual[r])), predictions[r].LayerProbabilities[0], 1e-6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.2)]
    [InlineData(double.NaN)]
    public void Theta_outside_the_open_unit_interval_is_rejected(double theta)
    {
        var (model, planner) = Setup(0f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DpBertClassifier(model, planner).Predict(Batch(), theta));
        Assert.Contains("must be in (0, 1)", e.Message);
    }

    [Fact]
    public void Planner_shape_and_k_are_checked()
    {
        var model = GoldenForwardTests.LoadTinyModel();
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanningModule(model.Config, alwaysRunLayers: 2));
        var planner = new PlanningModule(model.Config with { NumHiddenLayers = 4 }, 1);
        Assert.Contains("covers 4 layers", Assert.Throws<ArgumentException>(() => new DpBertClassifier(model, planner)).Message);
        Assert.Equal(["planner.hidden.weight", "planner.hidden.bias", "planner.output.weight", "planner.output.bias"],
            PlanningModule.Layout(model.Config, 1).Select(p => p.Name));
        Assert.Equal([16, 64], PlanningModule.Layout(model.Config, 1).First().Shape);
    }

    [Fact]
    public void Layers_the_planner_bypasses_are_never_computed()
    {
        // A planner that runs nothing after layer 0 (k = 1), on a model whose layer 1 is NaN: the logits stay finite.
        var (model, planner) = Setup(outputBias: -10f);
        foreach (var p in model.Parameters.Parameters.Where(p => p.Name.Contains("encoder.layer.1.")))
            model.Parameters.Span(p).Fill(float.NaN);
        model.Parameters.MarkChanged();
        var output = new DpBertClassifier(model, planner).Classify(Batch(), 0.5);
        Assert.All(output.Plans, p => Assert.Equal("10", p.ToString()));
        Assert.All(output.Logits, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void A_planner_before_the_first_layer_is_refused_with_the_reason()
    {
        // k = 0 would read the [CLS] embedding, the same vector for every input.
        var config = GoldenForwardTests.LoadTinyModel().Config;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PlanningModule(config, alwaysRunLayers: 0));
        Assert.Contains("the same for every input", e.Message);
        Assert.Contains("--always-run-layers 0", Assert.Throws<ArgumentOutOfRangeException>(() => new PlannerTrainingOptions { AlwaysRunLayers = 0 }.Validate()).Message);
        Assert.Contains("must be in [1, 2)", Assert.Throws<ArgumentOutOfRangeException>(() => new PlanningModule(config, alwaysRunLayers: 2)).Message);
    }
}
