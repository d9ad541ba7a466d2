using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>Task-level evaluation: the metrics each task reports, their names, and the combined main score.</summary>
public sealed class GlueEvaluateTests
{
    [Fact]
    public void Mrpc_reports_accuracy_f1_and_their_mean()
    {
        // TP = 2, FP = 1, FN = 1, TN = 1: accuracy 3/5, F1 = 4/6, combined (3/5 + 4/6) / 2.
        var scores = GlueTask.Mrpc.Evaluate([1, 1, 0, 0, 1], [1, 0, 0, 1, 1]);
        Assert.Equal(["accuracy", "f1", "combined_score"], scores.Keys);
        Assert.Equal(0.6, scores["accuracy"], 1e-15);
        Assert.Equal(4.0 / 6, scores["f1"], 1e-15);
        Assert.Equal((0.6 + 4.0 / 6) / 2, scores.MainScore, 1e-15);
        Assert.Equal("combined_score", scores.MainMetricName);
        Assert.Equal("mrpc", scores.TaskName);
        Assert.Null(scores.SplitName);
        Assert.Equal("mrpc: accuracy=0.6000 f1=0.6667 combined_score=0.6333", scores.ToString());
    }

    [Fact]
    public void Cola_reports_matthews_correlation_only()
    {
        var scores = GlueTask.Cola.Evaluate([1, 1, 0, 1], [1, 1, 0, 0], splitName: "dev");
        Assert.Equal(["matthews_correlation"], scores.Keys);
        // TP = 2, TN = 1, FP = 1, FN = 0: (2·1 − 1·0) / √(3·2·2·1) = 2/√12.
        Assert.Equal(2 / Math.Sqrt(12), scores.MainScore, 1e-15);
        Assert.Equal("matthews_correlation", scores.MainMetricName);
        Assert.Equal("cola dev: matthews_correlation=0.5774", scores.ToString());
    }

    [Fact]
    public void Stsb_reports_pearson_spearman_and_their_mean()
    {
        float[] gold = [5, 6, 7, 8, 7];
        float[] predicted = [1, 2, 3, 4, 5];
        var scores = GlueTask.Stsb.Evaluate(predicted, gold);
        Assert.Equal(["pearson", "spearmanr", "combined_score"], scores.Keys);
        Assert.Equal(0.8207826816681233, scores["spearmanr"], 1e-12);
        Assert.Equal((scores["pearson"] + scores["spearmanr"]) / 2, scores.MainScore, 1e-15);
    }

    [Fact]
    public void Accuracy_tasks_report_accuracy()
    {
        foreach (var task in new[] { GlueTask.Sst2, GlueTask.Mnli, GlueTask.Qnli, GlueTask.Rte, GlueTask.Wnli })
        {
            var scores = task.Evaluate([0, 1, 1, 0], [0, 1, 0, 0]);
            Assert.Equal(["accuracy"], scores.Keys);
            Assert.Equal(0.75, scores.MainScore);
        }
        Assert.Equal(["accuracy", "f1", "combined_score"], GlueTask.Qqp.Evaluate([0, 1], [0, 1]).Keys);
    }

    [Fact]
    public void Wrong_kind_of_prediction_or_label_out_of_range_is_refused()
    {
        var regression = Assert.Throws<InvalidOperationException>(() => GlueTask.Stsb.Evaluate(new[] { 1, 0 }, new[] { 1, 0 }));
        Assert.Contains("regression", regression.Message);
        Assert.Throws<InvalidOperationException>(() => GlueTask.Rte.Evaluate(new[] { 1f, 0f }, new[] { 1f, 0f }));

        var outOfRange = Assert.Throws<ArgumentException>(() => GlueTask.Mnli.Evaluate([0, 3], [0, 1]));
        Assert.StartsWith("predictedLabels[1] = 3 is not a class id of mnli (0 to 2: contradiction, entailment, neutral)", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => GlueTask.Rte.Evaluate([0, 1], [0, -1]));
        Assert.Throws<ArgumentException>(() => GlueTask.Rte.Evaluate([0, 1], [0]));
    }

    [Fact]
    public void Scores_read_like_a_dictionary()
    {
        var scores = GlueTask.Qqp.Evaluate([1, 0, 1, 1], [1, 0, 0, 1]);
        Assert.Equal(3, scores.Count);
        Assert.True(scores.ContainsKey("f1"));
        Assert.False(scores.TryGetValue("F1", out _)); // names are spelled as Hugging Face spells them
        Assert.Equal(scores.Keys.Zip(scores.Values), scores.Select(kv => (kv.Key, kv.Value)));
        var missing = Assert.Throws<KeyNotFoundException>(() => scores["pearson"]);
        Assert.Equal("qqp reports no metric 'pearson'; it reports accuracy, f1, combined_score", missing.Message);
    }
}
