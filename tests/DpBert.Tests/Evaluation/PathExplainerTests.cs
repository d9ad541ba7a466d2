using DpBert.Methods;
using DpBert.Evaluation;
using DpBert.Inference;
using DpBert.Planning;
using DpBert.Tokenization;

namespace DpBert.Tests.Evaluation;

/// <summary>Paths for display: the same plan and logits as the classifier, the planner's probabilities where it decided.</summary>
public class PathExplainerTests
{
    [Fact]
    public void Paths_carry_tokens_prediction_plan_and_planner_probabilities()
    {
        var (model, planner) = TradeoffTests.Model();
        var tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);
        var classifier = new DpBertClassifier(model, planner);
        var paths = new PathExplainer(classifier, tokenizer).Explain([new TextInput("a gorgeous movie"), new TextInput("the plot is thin", "boring")], 0.5, ["1", null]);
        Assert.Equal(2, paths.Count);
        var encoding = tokenizer.Encode("a gorgeous movie");
        var expected = classifier.Predict(new DpBert.Bert.BertBatch(encoding.InputIds, encoding.TokenTypeIds, encoding.AttentionMask, 1, encoding.Length), 0.5)[0];
        var first = paths[0];
        Assert.Equal(expected.Plan, first.Plan);
        Assert.Equal(encoding.Tokens, first.Tokens);
        Assert.Equal("[CLS]", first.Tokens[0]);
        Assert.Null(first.LayerProbabilities[0]);
        for (int l = 1; l < 4; l++) Assert.Equal(expected.LayerProbabilities[l - 1], first.LayerProbabilities[l]!.Value, 6);
        var probs = model.Probabilities(expected.Logits);
        Assert.Equal(probs.Max(), first.Confidence, 6);
        Assert.Equal("1", first.GoldLabel);
        Assert.Equal("the plot is thin ||| boring", paths[1].Text);
        Assert.Equal("dpbert", paths[1].Method);
        // Other methods: plans without planner probabilities.
        var staticPaths = new PathExplainer(new StaticDepthClassifier(model), tokenizer).Explain([new TextInput("wonderful")], 2);
        Assert.Equal("1100", staticPaths[0].Plan.ToString());
        Assert.All(staticPaths[0].LayerProbabilities, p => Assert.Null(p));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PathExplainer(classifier, tokenizer).Explain([new TextInput("x")], 1.0));
    }
}
