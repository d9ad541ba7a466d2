using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.TorchSharp.Interop;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using TorchBert = DpBert.TorchSharp.Bert.BertForSequenceClassification;

namespace DpBert.TorchSharp.Tests;

/// <summary>
/// The TorchSharp modules against Hugging Face: <c>../shared/golden/bert-tiny-a</c> loaded through the model folder must
/// reproduce every hidden state, the pooler output and the logits of <c>transformers</c> within 1e-5, and every element of
/// the gradient of the golden training batch within 1e-4 relative (or 1e-6 absolute) of PyTorch's, as the core engine's test.
/// </summary>
public class GoldenParityTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_golden_batch_matches_hugging_face_within_1e_5()
    {
        var loaded = TorchModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel);
        using var model = loaded.Model;
        model.eval();
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedFiles.TinyModel, "golden.json")));
        var worst = new List<Difference>();
        foreach (var b in golden.RootElement.GetProperty("batches").EnumerateArray())
        {
            string name = b.GetProperty("name").GetString()!;
            var batch = BertBatch.FromRows(SharedFiles.Ints2(b, "input_ids"), SharedFiles.Ints2(b, "token_type_ids"), SharedFiles.Ints2(b, "attention_mask"));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var inputs = TorchBatch.From(batch, CPU);
            var hidden = model.Bert.Embeddings.forward(inputs.InputIds, inputs.TokenTypeIds);
            var mask = Bert.BertModel.AdditiveMask(inputs.AttentionMask, hidden.dtype);
            var expectedHidden = b.GetProperty("hidden_states").EnumerateArray().ToList();
            for (int l = 0; l < expectedHidden.Count; l++)
            {
                if (l > 0) hidden = model.Bert.Layers[l - 1].forward(hidden, mask);
                worst.Add(Check(hidden, SharedFiles.Flatten(expectedHidden[l]), $"{name} hidden_states[{l}]"));
            }
            worst.Add(Check(model.Bert.Pooler.forward(hidden, inputs.AttentionMask), SharedFiles.Flatten(b.GetProperty("pooler_output")), $"{name} pooler_output"));
            worst.Add(Check(model.forward(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask), SharedFiles.Flatten(b.GetProperty("logits")), $"{name} logits"));
        }
        output.WriteLine($"TorchSharp vs Hugging Face forward: max abs diff {Difference.Max(worst).MaxAbs:E2}");
    }

    [Fact]
    public void Gradients_of_the_golden_batch_match_pytorch_within_1e_4_relative()
    {
        var loaded = TorchModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel);
        using var model = loaded.Model;
        model.train();
        using var grads = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedFiles.TinyModel, "grads.json")));
        var b = grads.RootElement.GetProperty("batch");
        var batch = BertBatch.FromRows(SharedFiles.Ints2(b, "input_ids"), SharedFiles.Ints2(b, "token_type_ids"), SharedFiles.Ints2(b, "attention_mask"));
        long[] labels = b.GetProperty("labels").EnumerateArray().Select(v => (long)v.GetInt32()).ToArray();
        using var scope = NewDisposeScope();
        using var inputs = TorchBatch.From(batch, CPU);
        var loss = model.TaskLoss(model.forward(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask), tensor(labels));
        loss.backward();
        Assert.Equal(grads.RootElement.GetProperty("loss").GetSingle(), loss.item<float>(), 1e-5f);

        using var expected = SafetensorsFile.Open(Path.Combine(SharedFiles.TinyModel, "grads.safetensors"));
        var worst = new List<Difference>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var reference = new float[parameter.numel()];
            expected.CopyToFloat32(name, reference);
            var actual = parameter.grad!.data<float>().ToArray();
            Assert.Null(Difference.FirstOutside(actual, reference, 1e-4, 1e-6) is { } bad ? $"{name}{bad}" : null);
            worst.Add(Difference.Of(actual, reference));
        }
        Assert.Equal(41, worst.Count);
        output.WriteLine($"TorchSharp vs PyTorch gradients: max abs diff {Difference.Max(worst).MaxAbs:E2}, max relative {Difference.Max(worst).Relative:E2}");
    }

    [Fact]
    public void State_dict_keys_are_exactly_the_hugging_face_keys()
    {
        var config = BertConfig.Load(Path.Combine(SharedFiles.TinyModel, "config.json"));
        using var model = new TorchBert(config);
        var expected = BertParameterLayout.SequenceClassification(config).Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(expected, model.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    private static Difference Check(Tensor actual, float[] expected, string what)
    {
        var d = Difference.Of(actual.contiguous().data<float>().ToArray(), expected);
        Assert.True(d.MaxAbs <= 1e-5, $"{what}: max abs diff {d.MaxAbs:E2} > 1e-5");
        return d;
    }
}
