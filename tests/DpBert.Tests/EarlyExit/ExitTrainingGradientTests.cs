using DpBert.Bert;
using DpBert.EarlyExit;

namespace DpBert.Tests.EarlyExit;

/// <summary>
/// Exit-head training against central finite differences of its loss, with dropout on (fixed masks):
/// PABEE's depth-weighted joint loss for heads, shared pooler and backbone; DeeBERT's heads with the backbone frozen.
/// </summary>
public class ExitTrainingGradientTests
{
    private static readonly BertConfig Config = EarlyExitInferenceTests.Config with { NumHiddenLayers = 3, HiddenDropoutProb = 0.1f, AttentionProbsDropoutProb = 0.1f };
    private static readonly int[] Labels = [2, 0, 1, 1, 0];

    [Theory]
    [InlineData(EarlyExitMethod.Pabee)]
    [InlineData(EarlyExitMethod.DeeBert)]
    [InlineData(EarlyExitMethod.Pabee, TokenPooling.Mean)]
    [InlineData(EarlyExitMethod.DeeBert, TokenPooling.Mean)]
    public void Gradients_match_finite_differences(EarlyExitMethod method, TokenPooling input = TokenPooling.Cls)
    {
        var model = EarlyExitInferenceTests.RandomModel(Config, 21);
        var heads = EarlyExitInferenceTests.RandomHeads(model, method, 22, input);
        var step = new ExitHeadsObjective(model, null, heads);
        var batch = EarlyExitInferenceTests.Batch;
        const ulong seed = 5;
        var headGrads = heads.Parameters.CreateLike();
        var backboneGrads = model.Parameters.CreateLike();
        step.Step(batch, Labels, [], headGrads, backboneGrads, seed);

        double Loss()
        {
            model.Parameters.MarkChanged();
            heads.Parameters.MarkChanged();
            return step.Step(batch, Labels, [], heads.Parameters.CreateLike(), model.Parameters.CreateLike(), seed);
        }
        var failures = new List<string>();
        FiniteDifferences.Check(heads.Parameters, headGrads, Loss, failures);
        if (method == EarlyExitMethod.Pabee) FiniteDifferences.Check(model.Parameters, backboneGrads, Loss, failures, name => !name.Contains("word_embeddings"));
        else Assert.All(backboneGrads.Data, v => Assert.Equal(0f, v));   // DeeBERT: the backbone is frozen
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
