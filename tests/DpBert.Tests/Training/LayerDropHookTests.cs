using DpBert.Bert;
using DpBert.Tests.EarlyExit;
using DpBert.Training;

namespace DpBert.Tests.Training;

/// <summary>Random layer drop (DPBERT stage one): no drop equals the ordinary step; with drop, gradients match finite differences.</summary>
public class LayerDropHookTests
{
    private static readonly BertConfig Config = EarlyExitInferenceTests.Config with { HiddenDropoutProb = 0.1f, AttentionProbsDropoutProb = 0.1f };
    private static readonly int[] Labels = [2, 0, 1, 1, 0];

    [Fact]
    public void Without_drop_it_is_the_ordinary_training_step()
    {
        var model = EarlyExitInferenceTests.RandomModel(Config, 41);
        var expectedGrads = model.Parameters.CreateLike();
        var (expectedLoss, expectedLogits) = model.ForwardBackward(EarlyExitInferenceTests.Batch, new BertTrainingActivations(Config), expectedGrads, Labels, [], 9);
        var grads = model.Parameters.CreateLike();
        var (loss, logits) = model.ForwardBackward(EarlyExitInferenceTests.Batch, new BertTrainingActivations(Config), grads, Labels, [], 9, Drop(0.0, 9));
        Assert.Equal(expectedLoss, loss, 5);
        Assert.Equal(expectedLogits, logits);
        for (int i = 0; i < grads.Data.Length; i++) Assert.Equal(expectedGrads.Data[i], grads.Data[i], 5);
    }

    [Fact]
    public void With_drop_gradients_match_finite_differences()
    {
        var model = EarlyExitInferenceTests.RandomModel(Config, 42);
        var acts = new BertTrainingActivations(Config);
        var grads = model.Parameters.CreateLike();
        model.ForwardBackward(EarlyExitInferenceTests.Batch, acts, grads, Labels, [], 3, Drop(0.5, 3));
        double Loss()
        {
            model.Parameters.MarkChanged();
            return model.ForwardBackward(EarlyExitInferenceTests.Batch, acts, model.Parameters.CreateLike(), Labels, [], 3, Drop(0.5, 3)).Loss;
        }
        var failures = new List<string>();
        FiniteDifferences.Check(model.Parameters, grads, Loss, failures, name => !name.Contains("word_embeddings"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Some layers were really dropped for some rows: the loss differs from the no-drop loss.
        Assert.NotEqual(model.ForwardBackward(EarlyExitInferenceTests.Batch, acts, model.Parameters.CreateLike(), Labels, [], 3, Drop(0.0, 3)).Loss, Loss());
    }

    private static LayerDropHook Drop(double p, ulong seed)
    {
        var hook = new LayerDropHook(p);
        hook.Begin(seed);
        return hook;
    }
}
