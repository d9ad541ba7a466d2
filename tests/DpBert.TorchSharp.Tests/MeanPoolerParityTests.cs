using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.TorchSharp.Interop;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DpBert.TorchSharp.Tests;

/// <summary>
/// A classifier whose pooler reads the mean of the real tokens (<c>dpbert_pooler_input</c> mean) on both engines: the golden
/// checkpoint's weights under that configuration, the golden training batch (which pads some rows), the same logits and
/// loss, and the same gradient for every parameter (within 1e-4 relative or 1e-6 absolute, element by element). The
/// logits must also differ from the [CLS]-pooled model's, so a pooler that ignored the setting would fail.
/// </summary>
public class MeanPoolerParityTests(ITestOutputHelper output)
{
    [Fact]
    public void A_mean_pooled_model_gives_the_same_logits_loss_and_gradients_on_both_engines()
    {
        var cls = ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel).Model;
        var model = BertForSequenceClassification.CreateEmpty(cls.Config.WithPoolerInput(TokenPooling.Mean));
        cls.Parameters.Data.CopyTo(model.Parameters.Data);
        model.Parameters.MarkChanged();
        var (batch, labels) = EngineParityTests.GoldenTrainingBatch();
        Assert.Contains(0, batch.AttentionMask);   // padding the mean must leave out

        var grads = model.Parameters.CreateLike();
        var (coreLoss, coreLogits) = model.ForwardBackward(batch, new BertTrainingActivations(model.Config), grads, labels, [], seed: 7);
        var clsLogits = cls.Forward(batch);
        Assert.True(Difference.Of(coreLogits, clsLogits).MaxAbs > 1e-3, "the mean-pooled logits equal the [CLS] ones: the setting changes nothing here");

        using var torchModel = TorchModelFolder.FromCore(model);
        torchModel.train();
        using var scope = NewDisposeScope();
        using var inputs = TorchBatch.From(batch, CPU);
        var logits = torchModel.forward(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask);
        var loss = torchModel.TaskLoss(logits, tensor(labels.Select(l => (long)l).ToArray()));
        loss.backward();

        var logitDiff = Difference.Of(logits.detach().data<float>().ToArray(), coreLogits);
        Assert.True(logitDiff.MaxAbs <= 1e-5, $"logits differ by {logitDiff.MaxAbs:E2}");
        Assert.True(Math.Abs(loss.item<float>() - coreLoss) <= 1e-5 * Math.Abs(coreLoss), $"loss {loss.item<float>()} vs {coreLoss}");
        var differences = new List<Difference>();
        var failures = new List<string>();
        foreach (var (name, parameter) in torchModel.named_parameters())
        {
            var reference = grads.Span(name).ToArray();
            var actual = parameter.grad!.data<float>().ToArray();
            if (Difference.FirstOutside(actual, reference, 1e-4, 1e-6) is { } bad) failures.Add(name + bad);
            differences.Add(Difference.Of(actual, reference));
        }
        Assert.Equal(model.Parameters.Parameters.Count, differences.Count);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        var worst = Difference.Max(differences);
        output.WriteLine($"mean pooler: logits max abs diff {logitDiff.MaxAbs:E2}, loss {coreLoss:G9} (core) vs {loss.item<float>():G9}; "
            + $"gradients of {differences.Count} tensors: max abs diff {worst.MaxAbs:E2}, max relative {worst.Relative:E2}");
    }
}
