using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tensors;
using DpBert.Tests.Tensors;

namespace DpBert.Tests.Bert;

/// <summary>
/// Parity with Hugging Face: <c>../shared/golden/bert-tiny-a</c> loaded from safetensors must reproduce
/// every hidden state (padded positions included), the pooler output and the logits that
/// <c>transformers</c> computed, within 1e-5 absolute, on every GEMM backend this machine has.
/// </summary>
[Collection(GemmBackendScope.Collection)]
public class GoldenForwardTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<GemmBackend> Backends()
    {
        var data = new TheoryData<GemmBackend> { GemmBackend.Managed, GemmBackend.Reference };
        if (OpenBlas.IsAvailable) data.Add(GemmBackend.OpenBlas);
        return data;
    }

    internal static BertForSequenceClassification LoadTinyModel()
    {
        var config = BertConfig.Load(GoldenFiles.TinyConfig);
        var model = BertForSequenceClassification.CreateEmpty(config);
        ParameterCheckpoint.Load(model.Parameters, GoldenFiles.TinyModel);
        model.Parameters.MarkChanged();
        return model;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Every_batch_matches_hugging_face(GemmBackend backend) => GemmBackendScope.Run(backend, () =>
    {
        var model = LoadTinyModel();
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenFiles.TinyModelFolder, "golden.json")));
        var batches = golden.RootElement.GetProperty("batches").EnumerateArray().ToList();
        Assert.Equal(4, batches.Count);
        foreach (var b in batches)
        {
            string name = b.GetProperty("name").GetString()!;
            var batch = BertBatch.FromRows(Ints2(b, "input_ids"), Ints2(b, "token_type_ids"), Ints2(b, "attention_mask"));
            var recorder = new HiddenStateRecorder();
            var logits = model.Forward(batch, recorder);
            var hidden = recorder.States;

            var expectedHidden = b.GetProperty("hidden_states").EnumerateArray().ToList();
            Assert.Equal(model.Config.NumHiddenLayers + 1, expectedHidden.Count);
            for (int l = 0; l < expectedHidden.Count; l++)
                KernelAssert.Close(Flatten(expectedHidden[l]), hidden[l], Tolerance, 0, $"{backend} {name} hidden_states[{l}]");
            KernelAssert.Close(Flatten(b.GetProperty("pooler_output")), model.LastPooledOutput(batch.BatchSize), Tolerance, 0, $"{backend} {name} pooler_output");
            KernelAssert.Close(Flatten(b.GetProperty("logits")), logits, Tolerance, 0, $"{backend} {name} logits");
        }
    });

    [Fact]
    public void Fine_tuning_from_the_first_layer_only_starts_from_hugging_faces_first_hidden_state()
    {
        // finetune --num-hidden-layers 1: the model's encoder output is what transformers computed after layer 1 of 2.
        var init = DpBert.Training.ModelInitialization.ForSequenceClassification(GoldenFiles.TinyModelFolder, ["negative", "positive"], null,
            new DpBert.Training.TrainingOptions { NumHiddenLayers = 1 });
        Assert.Equal(1, init.Model.Config.NumHiddenLayers);
        Assert.Contains("kept the first 1 of 2 layers (--num-hidden-layers): the weights of layer 2 are left out", init.Notes);
        Assert.DoesNotContain(init.Notes, n => n.StartsWith("ignored", StringComparison.Ordinal));
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenFiles.TinyModelFolder, "golden.json")));
        foreach (var b in golden.RootElement.GetProperty("batches").EnumerateArray())
        {
            var batch = BertBatch.FromRows(Ints2(b, "input_ids"), Ints2(b, "token_type_ids"), Ints2(b, "attention_mask"));
            var recorder = new HiddenStateRecorder();
            init.Model.Forward(batch, recorder);
            Assert.Equal(2, recorder.States.Count);
            KernelAssert.Close(Flatten(b.GetProperty("hidden_states")[1]), recorder.States[1], Tolerance, 0, $"{b.GetProperty("name").GetString()} hidden_states[1]");
        }
        var e = Assert.Throws<ArgumentException>(() => DpBert.Training.ModelInitialization.ForSequenceClassification(GoldenFiles.TinyModelFolder, ["negative", "positive"], null,
            new DpBert.Training.TrainingOptions { NumHiddenLayers = 3 }));
        Assert.Contains("--num-hidden-layers 3: ", e.Message);
        Assert.Contains("has 2 layers; keep at most that many", e.Message);
    }

    [Fact]
    public void Continued_pretraining_starts_from_hugging_faces_encoder_with_a_new_head()
    {
        // pretrain --model: the golden classifier's encoder, loaded into a masked-LM model, computes what transformers computed.
        var init = DpBert.Training.ModelInitialization.ForMaskedLanguageModel(GoldenFiles.TinyModelFolder, seed: 7);
        Assert.Contains("no masked-LM head in the checkpoint, initialised as Hugging Face does: cls.predictions.transform.dense.weight, " +
            "cls.predictions.transform.dense.bias, cls.predictions.transform.LayerNorm.weight, cls.predictions.transform.LayerNorm.bias, cls.predictions.bias", init.Notes);
        Assert.Contains(init.Notes, n => n.StartsWith("ignored 4 checkpoint tensors", StringComparison.Ordinal));
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenFiles.TinyModelFolder, "golden.json")));
        foreach (var b in golden.RootElement.GetProperty("batches").EnumerateArray())
        {
            var batch = BertBatch.FromRows(Ints2(b, "input_ids"), Ints2(b, "token_type_ids"), Ints2(b, "attention_mask"));
            var recorder = new HiddenStateRecorder();
            init.Model.Bert.Forward(batch, recorder);
            var expected = b.GetProperty("hidden_states").EnumerateArray().ToList();
            for (int l = 0; l < expected.Count; l++)
                KernelAssert.Close(Flatten(expected[l]), recorder.States[l], Tolerance, 0, $"{b.GetProperty("name").GetString()} hidden_states[{l}]");
        }
        // The new head as BertPreTrainedModel._init_weights leaves it: N(0, initializer_range) weights, zero biases, unit LayerNorm.
        var dense = init.Model.Parameters.Span("cls.predictions.transform.dense.weight").ToArray();
        double std = Math.Sqrt(dense.Average(v => (double)v * v));
        Assert.InRange(std, 0.9 * init.Model.Config.InitializerRange, 1.1 * init.Model.Config.InitializerRange);
        Assert.All(init.Model.Parameters.Span("cls.predictions.transform.LayerNorm.weight").ToArray(), v => Assert.Equal(1f, v));
        Assert.All(init.Model.Parameters.Span("cls.predictions.bias").ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains("bert-tiny is a preset", Assert.Throws<ArgumentException>(() => DpBert.Training.ModelInitialization.ForMaskedLanguageModel("bert-tiny", 1)).Message);
    }

    [Fact]
    public void Skipping_every_layer_leaves_the_embedding_output()
    {
        var model = LoadTinyModel();
        var batch = BertBatch.FromRows([[101, 2023, 2003, 102]]);
        var skipped = model.Bert.Forward(batch, new FixedPlans(LayerPlan.Parse("00"))).Hidden.ToArray();
        var embeddings = new HiddenStateRecorder();
        model.Bert.Forward(batch, embeddings);
        Assert.Equal(embeddings.States[0], skipped);
    }

    [Fact]
    public void Repeated_calls_with_other_shapes_give_the_same_answer()
    {
        var model = LoadTinyModel();
        var small = BertBatch.FromRows([[101, 2592, 102]]);
        var first = model.Forward(small);
        model.Forward(BertBatch.FromRows([Enumerable.Range(0, 64).Select(i => 1000 + i).ToArray(), Enumerable.Range(0, 64).ToArray()]));
        Assert.Equal(first, model.Forward(small));
    }

    [Fact]
    public void Bad_inputs_name_the_position_and_value()
    {
        var model = LoadTinyModel();
        var tooLong = BertBatch.FromRows([Enumerable.Repeat(1000, 65).ToArray()]);
        Assert.Contains("exceeds the model's max_position_embeddings 64", Assert.Throws<ArgumentException>(() => model.Forward(tooLong)).Message);
        var badId = BertBatch.FromRows([[101, 4096, 102]]);
        Assert.Contains("input_ids[0][1] = 4096 is outside the vocabulary", Assert.Throws<ArgumentException>(() => model.Forward(badId)).Message);
        var badType = BertBatch.FromRows([[101, 5, 102]], [[0, 2, 0]]);
        Assert.Contains("token_type_ids[0][1] = 2", Assert.Throws<ArgumentException>(() => model.Forward(badType)).Message);
    }

    /// <summary>The tiny model's golden batches (inputs, Hugging Face's hidden states and logits).</summary>
    internal static JsonElement[] GoldenBatches()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenFiles.TinyModelFolder, "golden.json")));
        return golden.RootElement.GetProperty("batches").EnumerateArray().Select(b => b.Clone()).ToArray();
    }

    /// <summary>A golden batch's <paramref name="name"/> (rows of ints).</summary>
    internal static int[][] Ints2(JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();

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
