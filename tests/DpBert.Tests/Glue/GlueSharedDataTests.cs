using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>Loads the real GLUE files under ../shared/glue and checks them against the official counts and the files' own text.</summary>
public sealed class GlueSharedDataTests
{
    /// <summary>Official row counts of every GLUE file (GLUE paper / Hugging Face datasets card), whether or not it is present here.</summary>
    public static TheoryData<string, string, int> OfficialRowCounts => new()
    {
        { "cola", "train", 8551 }, { "cola", "dev", 1043 }, { "cola", "test", 1063 },
        { "sst2", "train", 67349 }, { "sst2", "dev", 872 }, { "sst2", "test", 1821 },
        { "mrpc", "train", 3668 }, { "mrpc", "dev", 408 }, { "mrpc", "test", 1725 },
        { "stsb", "train", 5749 }, { "stsb", "dev", 1500 }, { "stsb", "test", 1379 },
        { "qqp", "train", 363846 }, { "qqp", "dev", 40430 }, { "qqp", "test", 390965 },
        { "mnli", "train", 392702 }, { "mnli", "dev_matched", 9815 }, { "mnli", "dev_mismatched", 9832 },
        { "mnli", "test_matched", 9796 }, { "mnli", "test_mismatched", 9847 },
        { "qnli", "train", 104743 }, { "qnli", "dev", 5463 }, { "qnli", "test", 5463 },
        { "rte", "train", 2490 }, { "rte", "dev", 277 }, { "rte", "test", 3000 },
        { "wnli", "train", 635 }, { "wnli", "dev", 71 }, { "wnli", "test", 146 },
    };

    [Fact]
    public void Official_count_table_covers_every_split_of_every_task()
    {
        var listed = OfficialRowCounts.Select(row => ((string)row[0], (string)row[1])).ToHashSet();
        var catalogue = GlueTask.All.SelectMany(t => t.Splits.Select(s => (t.Name, s.Name))).ToHashSet();
        Assert.Equal(catalogue.Order(), listed.Order());
    }

    [Theory]
    [MemberData(nameof(OfficialRowCounts))]
    public void Every_file_present_loads_with_its_official_row_count(string taskName, string split, int officialCount)
    {
        var task = GlueTask.FromName(taskName);
        if (!File.Exists(SharedGlueData.FileOf(task, split)))
        {
            // QQP, MNLI and QNLI train are not in ../shared/glue (see its README): the loader must say so usefully.
            var missing = Assert.Throws<FileNotFoundException>(() => SharedGlueData.Load(task, split));
            Assert.Contains(Path.Combine(task.FolderName, task.Split(split).FileName), missing.Message);
            Assert.Contains("dpbert download glue", missing.Message);
            return;
        }

        var data = SharedGlueData.Load(task, split);
        Assert.Equal(officialCount, data.Count);
        bool hasGold = task.Split(split).HasGold;
        Assert.All(data, e =>
        {
            Assert.Equal(task.IsPairTask, e.TextB is not null);
            Assert.Equal(hasGold && !task.IsRegression, e.Label is not null);
            Assert.Equal(hasGold && task.IsRegression, e.Score is not null);
            Assert.StartsWith(task.Split(split).Name + "-", e.Guid);
        });
        Assert.Equal(data.Count, data.Select(e => e.Guid).Distinct().Count());
    }

    [Fact]
    public void Cola_train_and_dev_have_no_header_and_dev_has_no_trailing_newline()
    {
        var train = SharedGlueData.Load(GlueTask.Cola, "train");
        Assert.Equal(new GlueExample("train-0", "Our friends won't buy this analysis, let alone the next one we propose.", null, 1, null), train[0]);
        Assert.Equal(new GlueExample("train-8550", "What all did you get for Christmas?", null, 1, null), train[^1]);

        Assert.NotEqual((byte)'\n', File.ReadAllBytes(SharedGlueData.FileOf(GlueTask.Cola, "dev"))[^1]);
        var dev = SharedGlueData.Load(GlueTask.Cola, "dev");
        Assert.Equal(new GlueExample("dev-0", "The sailors rode the breeze clear of the rocks.", null, 1, null), dev[0]);
        Assert.Equal(new GlueExample("dev-1042", "John talked to Bill about himself.", null, 1, null), dev[^1]);
    }

    [Fact]
    public void Cola_test_reads_the_index_and_sentence_columns()
    {
        var test = SharedGlueData.Load(GlueTask.Cola, "test");
        Assert.Equal(new GlueExample("test-0", "Bill whistled past the house.", null, null, null), test[0]);
        Assert.Equal(new GlueExample("test-1062", "A picture of himself frightened John.", null, null, null), test[^1]);
    }

    [Fact]
    public void Sst2_sentences_keep_their_trailing_space()
    {
        var train = SharedGlueData.Load(GlueTask.Sst2, "train");
        Assert.Equal(new GlueExample("train-0", "hide new secretions from the parental units ", null, 0, null), train[0]);
        Assert.Equal("this new jangle of noise , mayhem and stupidity must be a serious contender for the title . ", train[^1].TextA);

        var dev = SharedGlueData.Load(GlueTask.Sst2, "dev");
        Assert.Equal("it 's a charming and often affecting journey . ", dev[0].TextA);
        Assert.Equal(1, dev[^1].Label);
        Assert.EndsWith("could not be improved upon . ' ", dev[^1].TextA);
    }

    [Fact]
    public void Mrpc_byte_order_mark_is_stripped_and_quotes_are_kept()
    {
        byte[] head = File.ReadAllBytes(SharedGlueData.FileOf(GlueTask.Mrpc, "train"))[..3];
        Assert.Equal([0xEF, 0xBB, 0xBF], head);

        // With the BOM left in, the header would still have 5 fields; the first row is where a mistake would show.
        var train = SharedGlueData.Load(GlueTask.Mrpc, "train");
        Assert.Equal(new GlueExample("train-0",
            "Amrozi accused his brother , whom he called \" the witness \" , of deliberately distorting his evidence .",
            "Referring to him as only \" the witness \" , Amrozi accused his brother of deliberately distorting his evidence .",
            1, null), train[0]);
        Assert.Equal(0, train[^1].Label);
        Assert.StartsWith("The 30-year bond US30YT = RR rose 22 / 32", train[^1].TextA);

        var dev = SharedGlueData.Load(GlueTask.Mrpc, "dev");
        Assert.Equal("\" The foodservice pie business does not fit our long-term growth strategy .", dev[0].TextB);
        Assert.DoesNotContain(dev, e => e.TextA.Contains('\uFEFF') || e.Guid.Contains('\uFEFF'));
    }

    [Fact]
    public void Mrpc_test_uses_its_index_column_and_has_no_labels()
    {
        var test = SharedGlueData.Load(GlueTask.Mrpc, "test");
        Assert.Equal("test-0", test[0].Guid);
        Assert.StartsWith("PCCW 's chief operating officer", test[0].TextA);
        Assert.Equal("test-1724", test[^1].Guid);
        Assert.EndsWith("\" Re : That Movie . \"", test[^1].TextA);
        Assert.All(test, e => Assert.Null(e.Label));
    }

    [Fact]
    public void Stsb_scores_are_parsed_as_numbers()
    {
        var dev = SharedGlueData.Load(GlueTask.Stsb, "dev");
        Assert.Equal(new GlueExample("dev-0", "A man with a hard hat is dancing.", "A man wearing a hard hat is dancing.", null, 5.0f), dev[0]);
        Assert.Equal(4.75f, dev[1].Score);
        Assert.Equal(0f, dev[^1].Score);
        Assert.Equal("New York police officer critically wounded in hatchet attack", dev[^1].TextB);

        var train = SharedGlueData.Load(GlueTask.Stsb, "train");
        Assert.Equal(3.8f, train[1].Score);
        Assert.All(train, e => Assert.InRange(e.Score!.Value, 0f, 5f));

        var test = SharedGlueData.Load(GlueTask.Stsb, "test");
        Assert.Equal(new GlueExample("test-0", "A girl is styling her hair.", "A girl is brushing her hair.", null, null), test[0]);
    }

    [Fact]
    public void Rte_row_with_a_leading_unbalanced_quote_is_kept_verbatim()
    {
        var train = SharedGlueData.Load(GlueTask.Rte, "train");
        var row = train[2164]; // line 2166 of the file: index 2164
        Assert.Equal("train-2164", row.Guid);
        Assert.Equal("\"That film wasn't too successful, but then 'WarGames,' which was successful, came out right when I won the Tony for 'Brighton Beach' in 1983.", row.TextA);
        Assert.Equal("The film \"WarGames\" was shot in 1983.", row.TextB);
        Assert.Equal("not_entailment", GlueTask.Rte.Labels[row.Label!.Value]);
        Assert.Equal("train-2165", train[2165].Guid); // the quote did not swallow the next line
    }

    [Fact]
    public void Qnli_dev_keeps_stray_leading_quote_fragments()
    {
        var dev = SharedGlueData.Load(GlueTask.Qnli, "dev");
        Assert.Equal(new GlueExample("dev-0", "What came into force after the new constitution was herald?",
            "As of that day, the new constitution heralding the Second Republic came into force.", 0, null), dev[0]);
        Assert.StartsWith("\" Luis Walter Alvarez", dev[694].TextB);
        Assert.Equal("dev-694", dev[694].Guid);

        var test = SharedGlueData.Load(GlueTask.Qnli, "test");
        Assert.Equal("Who fought in the great Northern war?", test[^1].TextA);
        Assert.Contains("In 1709\u201313, a plague epidemic", test[^1].TextB);
    }

    [Fact]
    public void Wnli_and_rte_first_and_last_rows()
    {
        var wnli = SharedGlueData.Load(GlueTask.Wnli, "train");
        Assert.Equal(new GlueExample("train-0", "I stuck a pin through a carrot. When I pulled the pin out, it had a hole.", "The carrot had a hole.", 1, null), wnli[0]);
        Assert.Equal(new GlueExample("train-634", "Although they ran at about the same speed, Sue beat Sally because she had such a bad start.", "Sally had such a bad start.", 1, null), wnli[^1]);

        var rte = SharedGlueData.Load(GlueTask.Rte, "dev");
        Assert.Equal("Christopher Reeve had an accident.", rte[0].TextB);
        Assert.Equal(1, rte[0].Label); // not_entailment
        Assert.Equal("Greenpeace director said that peace is terrorism.", rte[^1].TextB);
    }

    [Theory]
    [InlineData("cola", new[] { 322, 721 })]
    [InlineData("sst2", new[] { 428, 444 })]
    [InlineData("mrpc", new[] { 129, 279 })]
    [InlineData("rte", new[] { 146, 131 })] // entailment, not_entailment
    [InlineData("qnli", new[] { 2702, 2761 })]
    [InlineData("wnli", new[] { 40, 31 })]
    public void Dev_label_distribution_matches_the_file(string taskName, int[] countPerClass)
    {
        var dev = SharedGlueData.Load(GlueTask.FromName(taskName), "dev");
        var counts = new int[countPerClass.Length];
        foreach (int label in dev.GoldLabels()) counts[label]++;
        Assert.Equal(countPerClass, counts);
    }

    [Fact]
    public void Max_examples_reads_the_first_rows_in_file_order()
    {
        var all = SharedGlueData.Load(GlueTask.Sst2, "dev");
        var first5 = GlueDataset.Load(GlueTask.Sst2, "dev", SharedGlueData.Folder, maxExamples: 5);
        Assert.Equal(all.Take(5), first5);
        Assert.Empty(GlueDataset.Load(GlueTask.Sst2, "dev", SharedGlueData.Folder, maxExamples: 0));
        Assert.Equal(all.Count, GlueDataset.Load(GlueTask.Sst2, "dev", SharedGlueData.Folder, maxExamples: 100_000).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => GlueDataset.Load(GlueTask.Sst2, "dev", SharedGlueData.Folder, maxExamples: -1));
    }

    [Fact]
    public void Load_by_name_and_describe()
    {
        var dev = GlueDataset.Load("SST-2", "validation", SharedGlueData.Folder);
        Assert.Same(GlueTask.Sst2, dev.Task);
        Assert.Equal("dev", dev.Split.Name);
        Assert.Equal(SharedGlueData.FileOf(GlueTask.Sst2, "dev"), dev.FilePath);
        Assert.Equal($"sst2 dev: 872 examples from {dev.FilePath}", dev.ToString());
    }

    [Fact]
    public void Majority_class_baselines_on_dev()
    {
        // MRPC dev: 279 of 408 pairs are paraphrases. Always "1": accuracy 279/408; F1 = 2·279 / (2·279 + 129 + 0) = 558/687.
        var mrpc = SharedGlueData.Load(GlueTask.Mrpc, "dev");
        var scores = mrpc.Evaluate(Enumerable.Repeat(1, mrpc.Count).ToArray());
        Assert.Equal(279.0 / 408, scores[GlueMetricNames.Accuracy], 1e-15);
        Assert.Equal(558.0 / 687, scores[GlueMetricNames.F1], 1e-15);
        Assert.Equal((279.0 / 408 + 558.0 / 687) / 2, scores.MainScore, 1e-15);
        Assert.Equal("dev", scores.SplitName);

        // CoLA: a constant prediction has Matthews correlation 0 (undefined, reported as 0 like scikit-learn).
        var cola = SharedGlueData.Load(GlueTask.Cola, "dev");
        Assert.Equal(0.0, cola.Evaluate(Enumerable.Repeat(1, cola.Count).ToArray()).MainScore);

        // STS-B: the gold scores against themselves correlate perfectly.
        var stsb = SharedGlueData.Load(GlueTask.Stsb, "dev");
        var perfect = stsb.Evaluate(stsb.GoldScores());
        Assert.Equal(1.0, perfect[GlueMetricNames.Pearson], 1e-12);
        Assert.Equal(1.0, perfect[GlueMetricNames.Spearman], 1e-12);
    }

    [Fact]
    public void Test_splits_have_no_gold_to_evaluate()
    {
        var test = SharedGlueData.Load(GlueTask.Rte, "test");
        var error = Assert.Throws<InvalidOperationException>(() => test.GoldLabels());
        Assert.Contains("unlabelled", error.Message);
        Assert.Throws<InvalidOperationException>(() => test.Evaluate(new int[test.Count]));
        Assert.Throws<InvalidOperationException>(() => SharedGlueData.Load(GlueTask.Rte, "dev").GoldScores());
    }
}
