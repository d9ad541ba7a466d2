using System.Text.Json;
using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Tests.Tensors;

namespace DpBert.Tests.Bert;

/// <summary>
/// The int8 and bf16 inference modes on the Hugging Face golden model: the stated accuracy against the fp32 goldens
/// (kernel-level exactness against the quantised arithmetic in double is in the Tensors tests), rows independent of
/// their batch (also when a large batch runs its attention block by groups of sequences), layer skipping, and training
/// untouched.
/// </summary>
[Collection(GemmBackendScope.Collection)]
public class InferencePrecisionTests
{
    // Stated accuracy on the golden model (2 layers, hidden 64, random weights; LayerNorm outputs of order 1): largest
    // absolute difference from Hugging Face's fp32 output over the unpadded tokens, about twice what was measured.
    public static TheoryData<InferencePrecision, double, double> Tolerances() => new()
    {
        // measured: last hidden states 0.073, logits 0.0195
        { InferencePrecision.Int8, 0.15, 0.04 },
        // measured: last hidden states 0.018, logits 0.0049
        { InferencePrecision.BFloat16, 0.04, 0.01 },
    };

    [Theory]
    [MemberData(nameof(Tolerances))]
    public void Golden_outputs_stay_within_the_stated_tolerance_of_hugging_face(InferencePrecision precision, double hiddenTolerance, double logitTolerance)
    {
        var model = TinyModel(precision);
        double worstHidden = 0, worstLogit = 0;
        foreach (var b in GoldenForwardTests.GoldenBatches())
        {
            var batch = BertBatch.FromRows(GoldenForwardTests.Ints2(b, "input_ids"), GoldenForwardTests.Ints2(b, "token_type_ids"), GoldenForwardTests.Ints2(b, "attention_mask"));
            var recorder = new HiddenStateRecorder();
            var logits = model.Forward(batch, recorder);
            var expectedHidden = b.GetProperty("hidden_states").EnumerateArray().ToList();
            var expected = Flatten(expectedHidden[^1]);
            var mask = GoldenForwardTests.Ints2(b, "attention_mask").SelectMany(r => r).ToArray();
            int h = model.Config.HiddenSize;
            for (int i = 0; i < expected.Length; i++)
                if (mask[i / h] == 1) worstHidden = Math.Max(worstHidden, Math.Abs(expected[i] - recorder.States[^1][i]));
            var expectedLogits = Flatten(b.GetProperty("logits"));
            for (int i = 0; i < logits.Length; i++) worstLogit = Math.Max(worstLogit, Math.Abs(expectedLogits[i] - logits[i]));
        }
        Assert.True(worstHidden <= hiddenTolerance, $"{precision}: last hidden states differ from Hugging Face by up to {worstHidden:G3} (tolerance {hiddenTolerance})");
        Assert.True(worstLogit <= logitTolerance, $"{precision}: logits differ from Hugging Face by up to {worstLogit:G3} (tolerance {logitTolerance})");
        Assert.True(worstHidden > 0, $"{precision}: bit-identical to fp32, so the mode did not run");
    }

    public static TheoryData<InferencePrecision> Precisions() => new(Enum.GetValues<InferencePrecision>());

    private static BertForSequenceClassification TinyModel(InferencePrecision precision)
    {
        var model = GoldenForwardTests.LoadTinyModel();
        model.Bert.Precision = precision;
        return model;
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void Each_row_gets_what_it_gets_alone_whatever_the_batch_and_the_plans(InferencePrecision precision)
    {
        // Activations are quantised per token, so a row's result cannot depend on the rows beside it, nor on which
        // other rows run a layer (the planned path gathers rows into a sub-batch).
        var model = TinyModel(precision);
        int[][] rows = [[101, 2023, 2003, 1037, 3231, 102], [101, 3592, 102, 0, 0, 0], [101, 1045, 2293, 2023, 3185, 102]];
        int[][] masks = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]];
        var plans = new[] { LayerPlan.Parse("11"), LayerPlan.Parse("01"), LayerPlan.Parse("10") };
        var together = model.Forward(BertBatch.FromRows(rows, null, masks), new FixedPlans(plans));
        for (int r = 0; r < rows.Length; r++)
        {
            var alone = model.Forward(BertBatch.FromRows([rows[r]], null, [masks[r]]), new FixedPlans(plans[r]));
            Assert.Equal(alone, together.AsSpan(r * 2, 2).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void A_batch_run_by_sequence_groups_gives_each_row_its_own_logits(InferencePrecision precision)
    {
        // Large batches of small models run the attention block by groups of sequences (BertLayer.AttentionBySequenceGroups).
        var model = TinyModel(precision);
        foreach (var b in GoldenForwardTests.GoldenBatches())
        {
            var ids = GoldenForwardTests.Ints2(b, "input_ids");
            var types = GoldenForwardTests.Ints2(b, "token_type_ids");
            var masks = GoldenForwardTests.Ints2(b, "attention_mask");
            var expected = b.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
            int seq = ids[0].Length, groupSize = Math.Max(1, BertLayer.GroupRows / seq);
            // Enough sequences for four groups per thread and a partial last group: the golden rows first, then every
            // golden row again with its second token (never padding) changed, so that no two rows are alike and a row or
            // group read from the wrong place shows.
            int rows = 4 * ComputePool.Parallelism * groupSize + 1;
            int Source(int r) => r % ids.Length;
            int[] Ids(int r)
            {
                var row = (int[])ids[Source(r)].Clone();
                if (r >= ids.Length) row[1] = 1000 + r;
                return row;
            }
            var batch = BertBatch.FromRows(
                Enumerable.Range(0, rows).Select(Ids).ToArray(),
                Enumerable.Range(0, rows).Select(r => types[Source(r)]).ToArray(),
                Enumerable.Range(0, rows).Select(r => masks[Source(r)]).ToArray());
            long before = model.Bert.Layers.Sum(l => l.GroupedRuns);
            var logits = model.Forward(batch);
            long grouped = model.Bert.Layers.Sum(l => l.GroupedRuns) - before;
            Assert.Equal(ComputePool.Parallelism > 1 ? model.Config.NumHiddenLayers : 0, grouped);
            for (int r = 0; r < rows; r++)
            {
                int s = Source(r);
                var alone = model.Forward(BertBatch.FromRows([Ids(r)], [types[s]], [masks[s]]));
                Assert.Equal(alone, logits.AsSpan(r * 2, 2).ToArray());
                if (precision == InferencePrecision.Float32 && r < ids.Length)
                    for (int j = 0; j < 2; j++)
                        Assert.True(Math.Abs(expected[s][j] - logits[r * 2 + j]) < 1e-5, $"row {r} (seq {seq}) logit {j}: {logits[r * 2 + j]} against Hugging Face's {expected[s][j]}");
            }
        }
    }

    [Fact]
    public void Training_stays_fp32_whatever_the_inference_precision()
    {
        var model = GoldenForwardTests.LoadTinyModel();
        var batch = BertBatch.FromRows([[101, 2023, 2003, 102], [101, 3592, 2088, 102]]);
        var grads = model.Parameters.CreateLike();
        var acts = new BertTrainingActivations(model.Config);
        var (fp32Loss, fp32Logits) = model.ForwardBackward(batch, acts, grads, [0, 1], default, seed: 7);
        model.Bert.Precision = InferencePrecision.Int8;
        var (loss, logits) = model.ForwardBackward(batch, acts, grads, [0, 1], default, seed: 7);
        Assert.Equal(fp32Loss, loss);
        Assert.Equal(fp32Logits, logits);
    }

    [Fact]
    public void Names_parse_both_ways_and_a_bad_name_is_named()
    {
        foreach (var p in Enum.GetValues<InferencePrecision>()) Assert.Equal(p, InferencePrecisions.Parse(p.Name()));
        Assert.Equal(InferencePrecision.BFloat16, InferencePrecisions.Parse(" BFloat16 "));
        var e = Assert.Throws<ArgumentException>(() => InferencePrecisions.Parse("fp16"));
        Assert.Contains("\"fp16\" is not one of fp32, int8, bf16", e.Message);
        foreach (var p in Enum.GetValues<InferencePrecision>()) Assert.StartsWith(p.Name() + ":", InferencePrecisions.Describe(p));
    }


    private static float[] Flatten(JsonElement e)
    {
        var values = new List<float>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var c in x.EnumerateArray()) Walk(c);
            else values.Add(x.GetSingle());
        }
        Walk(e);
        return values.ToArray();
    }
}
