using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>The task catalogue: names, folders, labels, layouts and metrics as Hugging Face's GLUE code defines them.</summary>
public sealed class GlueTaskTests
{
    [Theory]
    [InlineData("cola", "cola", "CoLA")]
    [InlineData("CoLA", "cola", "CoLA")]
    [InlineData("sst2", "sst2", "SST-2")]
    [InlineData("SST-2", "sst2", "SST-2")]
    [InlineData("sst-2", "sst2", "SST-2")]
    [InlineData("MRPC", "mrpc", "MRPC")]
    [InlineData("stsb", "stsb", "STS-B")]
    [InlineData("STS-B", "stsb", "STS-B")]
    [InlineData("qqp", "qqp", "QQP")]
    [InlineData("Mnli", "mnli", "MNLI")]
    [InlineData(" qnli ", "qnli", "QNLI")]
    [InlineData("rte", "rte", "RTE")]
    [InlineData("WNLI", "wnli", "WNLI")]
    public void Names_aliases_and_folders_are_found_case_insensitively(string name, string canonical, string folder)
    {
        var task = GlueTask.FromName(name);
        Assert.Equal(canonical, task.Name);
        Assert.Equal(folder, task.FolderName);
        Assert.Equal(canonical, task.ToString());
    }

    [Fact]
    public void Unknown_name_lists_the_valid_names()
    {
        var error = Assert.Throws<ArgumentException>(() => GlueTask.FromName("sst5"));
        Assert.StartsWith("unknown GLUE task 'sst5'; valid names: cola, sst2 (sst-2), mrpc, stsb (sts-b), qqp, mnli, qnli, rte, wnli", error.Message);
        Assert.False(GlueTask.TryFromName("mnli-mm", out _));
        Assert.False(GlueTask.TryFromName(null, out _));
    }

    [Fact]
    public void Nine_tasks_in_glue_order()
    {
        Assert.Equal(["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"], GlueTask.All.Select(t => t.Name));
        Assert.Equal(["cola", "sst2"], GlueTask.All.Where(t => !t.IsPairTask).Select(t => t.Name));
    }

    [Fact]
    public void Labels_follow_the_transformers_glue_processors()
    {
        Assert.Equal(["0", "1"], GlueTask.Cola.Labels);
        Assert.Equal(["unacceptable", "acceptable"], GlueTask.Cola.LabelNames);
        Assert.Equal(["0", "1"], GlueTask.Sst2.Labels);
        Assert.Equal(["0", "1"], GlueTask.Mrpc.Labels);
        Assert.Equal(["0", "1"], GlueTask.Qqp.Labels);
        Assert.Equal(["contradiction", "entailment", "neutral"], GlueTask.Mnli.Labels);
        Assert.Equal(["entailment", "not_entailment"], GlueTask.Qnli.Labels);
        Assert.Equal(["entailment", "not_entailment"], GlueTask.Rte.Labels);
        Assert.Equal(["0", "1"], GlueTask.Wnli.Labels);
        Assert.Equal(["not_entailment", "entailment"], GlueTask.Wnli.LabelNames);

        Assert.True(GlueTask.Stsb.IsRegression);
        Assert.Empty(GlueTask.Stsb.Labels);
        Assert.Equal(1, GlueTask.Stsb.NumLabels);
        Assert.Equal(3, GlueTask.Mnli.NumLabels);
        Assert.All(GlueTask.All.Where(t => t != GlueTask.Stsb), t =>
        {
            Assert.False(t.IsRegression);
            Assert.Equal(t.Labels.Count, t.LabelNames.Count);
        });
    }

    [Fact]
    public void Column_layouts_follow_the_transformers_glue_processors()
    {
        Assert.Equal(new GlueSplit("train", "train.tsv", false, 4, null, 3, null, 1), GlueTask.Cola.Split("train"));
        Assert.Equal(new GlueSplit("test", "test.tsv", true, 2, 0, 1, null, null), GlueTask.Cola.Split("test"));
        Assert.Equal(new GlueSplit("dev", "dev.tsv", true, 2, null, 0, null, 1), GlueTask.Sst2.Split("dev"));
        Assert.Equal(new GlueSplit("dev", "dev.tsv", true, 5, null, 3, 4, 0), GlueTask.Mrpc.Split("dev"));
        Assert.Equal(new GlueSplit("test", "test.tsv", true, 5, 0, 3, 4, null), GlueTask.Mrpc.Split("test"));
        Assert.Equal(new GlueSplit("train", "train.tsv", true, 10, 0, 7, 8, 9), GlueTask.Stsb.Split("train"));
        Assert.Equal(new GlueSplit("train", "train.tsv", true, 6, 0, 3, 4, 5), GlueTask.Qqp.Split("train"));
        Assert.Equal(new GlueSplit("test", "test.tsv", true, 3, 0, 1, 2, null), GlueTask.Qqp.Split("test"));
        Assert.Equal(new GlueSplit("train", "train.tsv", true, 12, 0, 8, 9, 11), GlueTask.Mnli.Split("train"));
        Assert.Equal(new GlueSplit("dev_mismatched", "dev_mismatched.tsv", true, 16, 0, 8, 9, 15), GlueTask.Mnli.Split("dev_mismatched"));
        Assert.Equal(new GlueSplit("test_matched", "test_matched.tsv", true, 10, 0, 8, 9, null), GlueTask.Mnli.Split("test_matched"));
        foreach (var task in new[] { GlueTask.Qnli, GlueTask.Rte, GlueTask.Wnli })
        {
            Assert.Equal(new GlueSplit("train", "train.tsv", true, 4, 0, 1, 2, 3), task.Split("train"));
            Assert.Equal(new GlueSplit("test", "test.tsv", true, 3, 0, 1, 2, null), task.Split("test"));
        }

        // Every column a layout reads exists in its file.
        Assert.All(GlueTask.All.SelectMany(t => t.Splits), s =>
            Assert.All(new[] { s.IdColumn, s.TextAColumn, s.TextBColumn, s.GoldColumn }, c => Assert.True(c is null || c < s.FieldCount)));
    }

    [Fact]
    public void Splits_and_their_aliases()
    {
        Assert.Equal(["train", "dev", "test"], GlueTask.Rte.Splits.Select(s => s.Name));
        Assert.Equal(["train", "dev_matched", "dev_mismatched", "test_matched", "test_mismatched"], GlueTask.Mnli.Splits.Select(s => s.Name));
        Assert.Equal("dev", GlueTask.Rte.Split("validation").Name);
        Assert.Equal("dev", GlueTask.Rte.Split("DEV").Name);
        Assert.Equal("dev_matched", GlueTask.Mnli.Split("validation_matched").Name);
        Assert.False(GlueTask.Rte.Split("test").HasGold);

        var error = Assert.Throws<ArgumentException>(() => GlueTask.Mnli.Split("dev"));
        Assert.StartsWith("GLUE task mnli has no split 'dev'; valid splits: train, dev_matched, dev_mismatched, test_matched, test_mismatched", error.Message);
    }

    [Fact]
    public void Metrics_and_evaluation_splits_per_task()
    {
        Assert.Equal(["matthews_correlation"], GlueTask.Cola.MetricNames);
        Assert.Equal(["accuracy"], GlueTask.Sst2.MetricNames);
        Assert.Equal(["accuracy", "f1"], GlueTask.Mrpc.MetricNames);
        Assert.Equal(["pearson", "spearmanr"], GlueTask.Stsb.MetricNames);
        Assert.Equal(["accuracy", "f1"], GlueTask.Qqp.MetricNames);
        Assert.All(new[] { GlueTask.Mnli, GlueTask.Qnli, GlueTask.Rte, GlueTask.Wnli }, t => Assert.Equal(["accuracy"], t.MetricNames));

        Assert.Equal("matthews_correlation", GlueTask.Cola.MainMetricName);
        Assert.Equal("combined_score", GlueTask.Mrpc.MainMetricName);
        Assert.Equal("combined_score", GlueTask.Stsb.MainMetricName);

        Assert.Equal(["dev_matched", "dev_mismatched"], GlueTask.Mnli.EvaluationSplits);
        Assert.All(GlueTask.All.Where(t => t != GlueTask.Mnli), t => Assert.Equal(["dev"], t.EvaluationSplits));
    }
}
