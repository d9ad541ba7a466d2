using DpBert.Methods;
using DpBert.Bert;
using DpBert.EarlyExit;
using DpBert.Evaluation;

namespace DpBert.Tests.EarlyExit;

/// <summary>
/// Early-exit inference against a reference computed from the full forward pass: every exit head's logits
/// are taken from the hidden states of a full-depth run, the exit rule is applied by hand, and the batched
/// early-exit classifier (which really stops running layers and compacts the batch) must give the same
/// logits and depths, at batch 1 and batched.
/// </summary>
public class EarlyExitInferenceTests
{
    internal static readonly BertConfig Config = new()
    {
        VocabSize = 40, HiddenSize = 16, NumHiddenLayers = 4, NumAttentionHeads = 2, IntermediateSize = 24,
        MaxPositionEmbeddings = 12, HiddenDropoutProb = 0f, AttentionProbsDropoutProb = 0f, NumLabelsValue = 3,
    };

    internal static readonly BertBatch Batch = BertBatch.FromRows(
        [[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0], [2, 8, 3, 0, 0, 0], [2, 12, 13, 14, 15, 3], [2, 9, 9, 3, 0, 0]], null,
        [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]);

    internal static BertForSequenceClassification RandomModel(BertConfig config, int seed)
    {
        var model = BertForSequenceClassification.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, seed);
        var rng = new Random(seed + 1);
        foreach (var p in model.Parameters.Parameters)
        {
            var v = model.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] += (float)(rng.NextDouble() - 0.5) * 0.6f;
        }
        model.Parameters.MarkChanged();
        return model;
    }

    // Heads that share a random base plus per-layer noise, so predictions sometimes agree across layers.
    internal static ExitHeads RandomHeads(BertForSequenceClassification model, EarlyExitMethod method, int seed, TokenPooling input = TokenPooling.Cls)
    {
        var heads = new ExitHeads(model, method, input);
        var rng = new Random(seed);
        var bases = new Dictionary<string, float[]>();
        foreach (var p in heads.Parameters.Parameters)
        {
            string role = p.Name[(p.Name.IndexOf('.', 6) + 1)..];
            if (!bases.TryGetValue(role, out var b))
                bases[role] = b = Enumerable.Range(0, p.Length).Select(_ => (float)(rng.NextDouble() - 0.5) * 1.5f).ToArray();
            var v = heads.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] = b[i] + (float)(rng.NextDouble() - 0.5) * 1.6f;
        }
        heads.Parameters.MarkChanged();
        return heads;
    }

    // Every exit's logits (layer, row, class) from the hidden states of a full-depth run.
    private static float[][] ExitLogits(BertForSequenceClassification model, ExitHeads heads)
    {
        var recorder = new HiddenStateRecorder();
        model.Forward(Batch, recorder);
        var states = recorder.States;
        int b = Batch.BatchSize, s = Batch.SequenceLength, n = model.Config.NumLabels;
        int h = model.Config.HiddenSize;
        return Enumerable.Range(0, model.Config.NumHiddenLayers).Select(l =>
        {
            var logits = new float[b * n];
            bool readsCls = heads.Input == TokenPooling.Cls || (heads.Method == EarlyExitMethod.DeeBert && l == model.Config.NumHiddenLayers - 1);
            if (readsCls) { heads.Logits(logits, new float[b * h], states[l + 1], l, b, s); return logits; }
            // The mean of each row's real tokens, summed in double here, as the head's input rows.
            var rows = new float[b * h];
            for (int r = 0; r < b; r++)
            {
                int count = Enumerable.Range(0, s).Count(t => Batch.AttentionMask[r * s + t] == 1);
                for (int j = 0; j < h; j++)
                    rows[r * h + j] = (float)(Enumerable.Range(0, s).Where(t => Batch.AttentionMask[r * s + t] == 1).Sum(t => (double)states[l + 1][(r * s + t) * h + j]) / count);
            }
            heads.Logits(logits, new float[b * h], rows, l, b, seqLen: 1);
            return logits;
        }).ToArray();
    }

    private static int ArgMax(ReadOnlySpan<float> v) { int best = 0; for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i; return best; }

    // Depth of each row under the exit rule, applied by hand.
    private static int[] ReferenceDepths(float[][] exits, EarlyExitMethod method, double knob, int b, int n)
    {
        int layers = exits.Length;
        var depth = new int[b];
        for (int r = 0; r < b; r++)
        {
            int streak = 0;
            depth[r] = layers;
            for (int l = 0; l < layers; l++)
            {
                var row = exits[l].AsSpan(r * n, n);
                bool exit = method == EarlyExitMethod.DeeBert
                    ? EarlyExitClassifier.Entropy(row) < knob
                    : (streak = l > 0 && ArgMax(row) == ArgMax(exits[l - 1].AsSpan(r * n, n)) ? streak + 1 : 0) >= knob;
                if (exit) { depth[r] = l + 1; break; }
            }
        }
        return depth;
    }

    [Theory]
    [InlineData(EarlyExitMethod.DeeBert, 0.0)]
    [InlineData(EarlyExitMethod.DeeBert, 0.35)]
    [InlineData(EarlyExitMethod.DeeBert, 0.5)]
    [InlineData(EarlyExitMethod.DeeBert, 0.65)]
    [InlineData(EarlyExitMethod.DeeBert, 1.0)]
    [InlineData(EarlyExitMethod.Pabee, 1)]
    [InlineData(EarlyExitMethod.Pabee, 2)]
    [InlineData(EarlyExitMethod.Pabee, 4)]
    [InlineData(EarlyExitMethod.DeeBert, 0.5, TokenPooling.Mean)]
    [InlineData(EarlyExitMethod.Pabee, 2, TokenPooling.Mean)]
    public void Exits_where_the_rule_says_with_the_exit_heads_logits_batched_and_alone(EarlyExitMethod method, double setting, TokenPooling input = TokenPooling.Cls)
    {
        var model = RandomModel(Config, 11);
        var heads = RandomHeads(model, method, 12, input);
        var exits = ExitLogits(model, heads);
        int b = Batch.BatchSize, n = Config.NumLabels;
        // DeeBERT's setting is a quantile of the exits' entropies (0 = threshold 0, never exits; 1 = above all, exits at once).
        var entropies = exits.SelectMany(e => Enumerable.Range(0, b).Select(r => EarlyExitClassifier.Entropy(e.AsSpan(r * n, n)))).Order().ToArray();
        // Between two entropies, not on one: the mean input is summed in another order here, so an exit's entropy may
        // differ from the reference's in the last bit.
        int q = (int)(setting * entropies.Length);
        double knob = method == EarlyExitMethod.Pabee ? setting : setting == 0 ? 0 : setting == 1 ? entropies[^1] + 1 : (entropies[q - 1] + entropies[q]) / 2;
        var expectedDepth = ReferenceDepths(exits, method, knob, b, n);
        if (setting is 0.5 or 0.35 || (method == EarlyExitMethod.Pabee && setting == 1))
            Assert.True(expectedDepth.Distinct().Count() >= 2, $"the test needs rows that exit at different layers: {string.Join(",", expectedDepth)}");
        var classifier = new EarlyExitClassifier(model, heads);

        var batched = classifier.Classify(Batch, knob);
        for (int r = 0; r < b; r++)
        {
            Assert.Equal(expectedDepth[r], batched.Plans[r].ExecutedCount);
            Assert.Equal(LayerPlan.FirstLayers(4, expectedDepth[r]), batched.Plans[r]);
            for (int j = 0; j < n; j++) Assert.Equal(exits[expectedDepth[r] - 1][r * n + j], batched.Logits[r * n + j], 4);
        }
        // One input at a time gives the same answers.
        for (int r = 0; r < b; r++)
        {
            var single = classifier.Classify(Batch.Slice(r, 1), knob);
            Assert.Equal(batched.Plans[r], single.Plans[0]);
            for (int j = 0; j < n; j++) Assert.Equal(batched.Logits[r * n + j], single.Logits[j], 4);
        }
        if (method == EarlyExitMethod.DeeBert && knob == 0.0)
            Assert.Equal(model.Forward(Batch), batched.Logits);
    }

    [Fact]
    public void Knob_sweep_reaches_both_ends()
    {
        var model = RandomModel(Config, 11);
        var dee = new EarlyExitClassifier(model, RandomHeads(model, EarlyExitMethod.DeeBert, 12));
        Assert.All(dee.Classify(Batch, 0).Plans, p => Assert.Equal(4, p.ExecutedCount));
        Assert.All(dee.Classify(Batch, 10).Plans, p => Assert.Equal(1, p.ExecutedCount));
        var pabee = new EarlyExitClassifier(model, RandomHeads(model, EarlyExitMethod.Pabee, 12));
        Assert.All(pabee.Classify(Batch, 4).Plans, p => Assert.Equal(4, p.ExecutedCount));
        Assert.All(pabee.Classify(Batch, 1).Plans, p => Assert.InRange(p.ExecutedCount, 2, 4));
    }

    [Theory]
    [InlineData(EarlyExitMethod.Pabee, 0.0, "patience 0")]
    [InlineData(EarlyExitMethod.Pabee, 1.5, "patience 1.5")]
    [InlineData(EarlyExitMethod.Pabee, -1.0, "patience -1")]
    [InlineData(EarlyExitMethod.DeeBert, -0.1, "entropy threshold -0.1")]
    [InlineData(EarlyExitMethod.DeeBert, double.NaN, "entropy threshold NaN")]
    public void Bad_knobs_are_rejected_with_the_value(EarlyExitMethod method, double knob, string message)
    {
        var model = RandomModel(Config, 11);
        var classifier = new EarlyExitClassifier(model, new ExitHeads(model, method));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => classifier.Classify(Batch, knob));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void DeeBert_refuses_regression_and_static_depth_checks_its_range()
    {
        var regression = RandomModel(Config with { NumLabelsValue = 1 }, 3);
        Assert.Throws<ArgumentException>(() => new EarlyExitClassifier(regression, new ExitHeads(regression, EarlyExitMethod.DeeBert)));
        var model = RandomModel(Config, 11);
        var depth = new StaticDepthClassifier(model);
        Assert.Contains("static depth 0", Assert.Throws<ArgumentOutOfRangeException>(() => depth.Classify(Batch, 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => depth.Classify(Batch, 5));
        Assert.Equal(model.Forward(Batch, new FixedPlans(LayerPlan.Parse("1100"))), depth.Classify(Batch, 2).Logits);
    }

    [Fact]
    public void Entropy_of_uniform_and_certain_predictions()
    {
        Assert.Equal(Math.Log(3), EarlyExitClassifier.Entropy([1f, 1f, 1f]), 10);
        Assert.InRange(EarlyExitClassifier.Entropy([100f, 0f, 0f]), 0, 1e-30);
    }
}
