using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Training;

namespace DpBert.Tests.Training;

/// <summary><see cref="ModelSoup"/>: the parameter-wise average and the greedy recipe.</summary>
public class ModelSoupTests
{
    private static readonly BertBatch Batch = BertBatch.FromRows(
        [[2, 40, 41, 42, 3, 0], [2, 50, 3, 60, 61, 3]], [[0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1]], [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]);

    [Fact]
    public void Two_models_that_differ_only_in_the_classifier_average_to_the_mean_of_their_logits()
    {
        // The classifier is linear in its weights, so averaging it averages the logits: a check through the forward pass.
        var a = ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder);
        var b = WithRandomised(ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder), "classifier.", seed: 7);
        var soup = ModelSoup.Average([a, b]);

        float[] la = a.Model.Forward(Batch), lb = b.Model.Forward(Batch), ls = soup.Model.Forward(Batch);
        Assert.NotEqual(la, lb);
        for (int i = 0; i < ls.Length; i++) Assert.Equal((la[i] + lb[i]) / 2, ls[i], 1e-5f);
    }

    [Fact]
    public void Every_parameter_is_the_mean_and_a_model_averaged_with_itself_is_unchanged()
    {
        var a = ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder);
        var b = WithRandomised(ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder), "", seed: 3);
        var c = WithRandomised(ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder), "", seed: 4);
        var soup = ModelSoup.Average([a, b, c]).Model.Parameters.Data;
        float[] da = a.Model.Parameters.Data, db = b.Model.Parameters.Data, dc = c.Model.Parameters.Data;
        for (int i = 0; i < soup.Length; i++) Assert.Equal((float)(((double)da[i] + db[i] + dc[i]) / 3), soup[i]);

        Assert.Equal(da, ModelSoup.Average([a, a]).Model.Parameters.Data);
        Assert.Equal(a.Model.Forward(Batch), ModelSoup.Average([a]).Model.Forward(Batch));
    }

    [Fact]
    public void Models_that_cannot_be_averaged_are_refused_with_what_differs()
    {
        var a = ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder);
        var threeLabels = a with { Folder = "three-labels", Config = a.Config with { NumLabelsValue = 3 } };
        var e = Assert.Throws<ArgumentException>(() => ModelSoup.Average([a, threeLabels]));
        Assert.Contains("three-labels cannot be averaged with", e.Message);
        Assert.Contains("num_labels is 3 there and 2 here", e.Message);

        var meanPooled = a with { Folder = "mean-pooled", Config = a.Config.WithPoolerInput(TokenPooling.Mean) };
        e = Assert.Throws<ArgumentException>(() => ModelSoup.Average([a, meanPooled]));
        Assert.Contains("dpbert_pooler_input is mean there and cls here", e.Message);

        Assert.Throws<ArgumentException>(() => ModelSoup.Average([]));
    }

    [Fact]
    public void The_greedy_soup_adds_models_best_first_and_keeps_those_that_do_not_lower_the_score()
    {
        // Own scores 0.5, 0.9, 0.7, 0.8. A soup scores the mean of its ingredients' own scores plus 0.05 per extra
        // ingredient, unless it holds ingredient 0, which spoils it.
        double[] own = [0.5, 0.9, 0.7, 0.8];
        double Score(IReadOnlyList<int> soup) => soup.Contains(0) ? 0.1 : soup.Average(i => own[i]) + 0.05 * (soup.Count - 1);

        var (kept, steps) = ModelSoup.Greedy(own, Score);

        Assert.Equal([1, 3, 2], kept);
        Assert.Equal([1, 3, 2, 0], steps.Select(s => s.Ingredient));
        Assert.Equal([true, true, true, false], steps.Select(s => s.Kept));
        Assert.Equal(0.9, steps[1].SoupScore, 12);   // {1, 3}: 0.85 + 0.05, equal to 0.9 alone: kept
        Assert.Equal(0.9, steps[2].SoupScore, 12);   // {1, 3, 2}: 0.8 + 0.1
        Assert.Equal(0.1, steps[3].SoupScore, 12);
    }

    private static LoadedModel WithRandomised(LoadedModel model, string prefix, int seed)
    {
        var random = new Random(seed);
        foreach (var p in model.Model.Parameters.Parameters.Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var span = model.Model.Parameters.Span(p);
            for (int i = 0; i < span.Length; i++) span[i] += (float)(random.NextDouble() - 0.5);
        }
        model.Model.Parameters.MarkChanged();
        return model;
    }
}
