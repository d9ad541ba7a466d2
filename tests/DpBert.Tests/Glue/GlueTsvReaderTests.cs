using System.Text;
using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>
/// The reader on small files written here in the official layout: the tasks whose files are too large for
/// ../shared/glue (QQP, MNLI, QNLI train), and every kind of malformed line.
/// </summary>
public sealed class GlueTsvReaderTests
{
    /// <summary>Writes <paramref name="lines"/> (joined by LF, with a final LF) as <c>&lt;folder&gt;/&lt;TASK&gt;/&lt;file&gt;</c>.</summary>
    private static string WriteTaskFile(TempFolder folder, GlueTask task, string split, params string[] lines) =>
        WriteRaw(folder, task, split, string.Join("\n", lines) + "\n");

    private static string WriteRaw(TempFolder folder, GlueTask task, string split, string content) =>
        WriteBytes(folder, task, split, Encoding.UTF8.GetBytes(content));

    private static string WriteBytes(TempFolder folder, GlueTask task, string split, byte[] content)
    {
        string directory = Path.Combine(folder.Path, task.FolderName);
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, task.Split(split).FileName);
        File.WriteAllBytes(path, content);
        return path;
    }

    private const string QqpHeader = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate";
    private const string MnliParses = "( ( The cat ) sat )\t( ( A cat ) ( was ( sitting ) ) )\t(ROOT (S (NP (DT The) (NN cat)) (VP (VBD sat))))\t(ROOT (S (NP (DT A) (NN cat)) (VP (VBD was) (VP (VBG sitting)))))";
    private const string MnliHead = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2";

    [Fact]
    public void Qqp_train_dev_and_test_layouts()
    {
        using var folder = new TempFolder();
        WriteTaskFile(folder, GlueTask.Qqp, "train", QqpHeader,
            "133273\t213221\t213222\tHow is the life of a math student? Could you describe your own experiences?\tWhich level of prepration is enough for the exam jlpt5?\t0",
            "402555\t536040\t536041\tHow do I control my horny emotions?\tHow do you control your horniness?\t1",
            "360472\t364011\t490273\tWhat causes stool color to change to yellow?\tWhat can cause stool to come out as little balls?\t0");
        WriteTaskFile(folder, GlueTask.Qqp, "dev", QqpHeader,
            "201359\t303345\t303346\tWhy are African-Americans so beautiful?\tWhy are hispanics so beautiful?\t0",
            "172974\t266948\t175089\tIs there a reason why we should travel alone?\tWhat are some reasons to travel alone?\t1",
            "15329\t29298\t29299\tWhy are people so obsessed with having a \"girlfriend\"?\tHow can a single male have a child?\t0");
        WriteTaskFile(folder, GlueTask.Qqp, "test", "id\tquestion1\tquestion2",
            "0\tWould the idea of Trump and Putin in bed together scare you?\tDo you think that if Donald Trump were elected President?\t",
            "1\tWhat are the top ten Consumer-to-Consumer E-commerce online?\tWhat are the top ten Consumer-to-Business E-commerce online?",
            "2\tWhy don't people simply 'Google' instead of asking questions on Quora?\tWhy do people ask Quora questions instead of just searching google?");

        // The first test row has 4 fields: the test layout has 3, so it must be reported, not truncated.
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Qqp, "test", folder.Path));
        Assert.Contains("line 2", error.Message);
        Assert.Contains("4 tab-separated fields, expected 3", error.Message);
        WriteTaskFile(folder, GlueTask.Qqp, "test", "id\tquestion1\tquestion2",
            "0\tWould the idea of Trump and Putin in bed together scare you?\tDo you think that if Donald Trump were elected President?",
            "1\tWhat are the top ten Consumer-to-Consumer E-commerce online?\tWhat are the top ten Consumer-to-Business E-commerce online?",
            "2\tWhy don't people simply 'Google' instead of asking questions on Quora?\tWhy do people ask Quora questions instead of just searching google?");

        var train = GlueDataset.Load(GlueTask.Qqp, "train", folder.Path);
        Assert.Equal(3, train.Count);
        Assert.Equal(new GlueExample("train-402555", "How do I control my horny emotions?", "How do you control your horniness?", 1, null), train[1]);
        Assert.Equal([0, 1, 0], train.GoldLabels());

        var dev = GlueDataset.Load(GlueTask.Qqp, "dev", folder.Path);
        Assert.Equal("Why are people so obsessed with having a \"girlfriend\"?", dev[2].TextA);
        Assert.Equal("dev-15329", dev[2].Guid);

        var test = GlueDataset.Load(GlueTask.Qqp, "test", folder.Path);
        Assert.Equal(new GlueExample("test-2", "Why don't people simply 'Google' instead of asking questions on Quora?",
            "Why do people ask Quora questions instead of just searching google?", null, null), test[2]);
    }

    [Fact]
    public void Mnli_train_dev_and_test_layouts()
    {
        using var folder = new TempFolder();
        WriteTaskFile(folder, GlueTask.Mnli, "train", MnliHead + "\tlabel1\tgold_label",
            $"0\t31193\t31193n\tgovernment\t{MnliParses}\tConceptually cream skimming has two basic dimensions - product and geography.\tProduct and geography are what make cream skimming work. \tneutral\tneutral",
            $"1\t101457\t101457e\ttelephone\t{MnliParses}\tyou know during the season and i guess at at your level uh you lose them\tYou lose the things to the following level if the people recall.\tentailment\tentailment",
            $"2\t134793\t134793e\tfiction\t{MnliParses}\tOne of our number will carry out your instructions minutely.\tA member of my team will execute your orders with immense precision.\tentailment\tcontradiction");
        string devLine(int index, string gold) =>
            $"{index}\t63735\t63735n\tslate\t{MnliParses}\tThe new rights are nice enough\tEveryone really likes the newest benefits \tneutral\tentailment\tneutral\tneutral\tneutral\t{gold}";
        WriteTaskFile(folder, GlueTask.Mnli, "dev_matched", MnliHead + "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label",
            devLine(0, "neutral"), devLine(1, "contradiction"), devLine(2, "entailment"));
        WriteTaskFile(folder, GlueTask.Mnli, "dev_mismatched", MnliHead + "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label",
            devLine(0, "contradiction"), devLine(1, "contradiction"), devLine(2, "neutral"));
        WriteTaskFile(folder, GlueTask.Mnli, "test_matched", MnliHead,
            $"0\t31493\t31493\ttravel\t{MnliParses}\tHierbas, ans seco, ans dulce, and frigola are just a few names worth keeping a look-out for.\tHierbas is a name worth looking out for.",
            $"1\t92164\t92164\tgovernment\t{MnliParses}\tThe extent of the behavioral effects would depend in part on the structure.\tAn individual account would be the only thing affected.",
            $"2\t9662\t9662\tgovernment\t{MnliParses}\tTimely access to information is in the best interests of both GAO and the agencies.\tIt is in everyone's best interest to have access to information in a timely manner.");

        var train = GlueDataset.Load(GlueTask.Mnli, "train", folder.Path);
        Assert.Equal([2, 1, 0], train.GoldLabels()); // neutral, entailment, contradiction: the last column is the gold label
        Assert.Equal("Product and geography are what make cream skimming work. ", train[0].TextB);
        Assert.Equal("train-0", train[0].Guid);

        var matched = GlueDataset.Load(GlueTask.Mnli, "dev_matched", folder.Path);
        Assert.Equal([2, 0, 1], matched.GoldLabels()); // gold_label, not label1
        Assert.Equal("The new rights are nice enough", matched[0].TextA);
        var mismatched = GlueDataset.Load(GlueTask.Mnli, "validation_mismatched", folder.Path);
        Assert.Equal([0, 0, 2], mismatched.GoldLabels());

        // Matched and mismatched are scored separately.
        Assert.Equal(1.0, matched.Evaluate([2, 0, 1]).MainScore);
        var mismatchedScores = mismatched.Evaluate([0, 1, 1]);
        Assert.Equal(1.0 / 3, mismatchedScores[GlueMetricNames.Accuracy], 1e-15);
        Assert.Equal("dev_mismatched", mismatchedScores.SplitName);

        var test = GlueDataset.Load(GlueTask.Mnli, "test_matched", folder.Path);
        Assert.Equal(new GlueExample("test_matched-2", "Timely access to information is in the best interests of both GAO and the agencies.",
            "It is in everyone's best interest to have access to information in a timely manner.", null, null), test[2]);

        // The five-label dev layout is not the train layout.
        var error = Assert.Throws<ArgumentException>(() => GlueDataset.Load(GlueTask.Mnli, "dev", folder.Path));
        Assert.Contains("dev_matched, dev_mismatched", error.Message);
    }

    [Fact]
    public void Qnli_train_layout()
    {
        using var folder = new TempFolder();
        WriteTaskFile(folder, GlueTask.Qnli, "train", "index\tquestion\tsentence\tlabel",
            "0\tWhen did the third Digimon series begin?\tUnlike the two seasons before it and most of the seasons that followed, Digimon Tamers takes a darker and more realistic approach to its story.\tnot_entailment",
            "1\tWhich missile batteries often have individual launchers several kilometres from one another?\tWhen MANPADS is operated by specialists, batteries may have several dozen teams deploying separately in small sections; self-propelled air defence guns may deploy in pairs.\tnot_entailment",
            "2\tWhat two things does Popper argue Tarski's theory involves in an evaluation of truth?\tHe bases this interpretation on the fact that examples such as the one described above refer to two things: assertions and the facts to which they refer.\tentailment");
        var train = GlueDataset.Load(GlueTask.Qnli, "train", folder.Path);
        Assert.Equal([1, 1, 0], train.GoldLabels());
        Assert.Equal("train-2", train[2].Guid);
        Assert.Equal("What two things does Popper argue Tarski's theory involves in an evaluation of truth?", train[2].TextA);
    }

    [Fact]
    public void Row_with_too_few_fields_names_file_and_line()
    {
        using var folder = new TempFolder();
        string path = WriteTaskFile(folder, GlueTask.Rte, "dev", "index\tsentence1\tsentence2\tlabel",
            "0\tA cat sat.\tA cat is sitting.\tentailment",
            "1\tA dog barked.\tnot_entailment");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Rte, "dev", folder.Path));
        Assert.Equal($"{path}, line 3: row has 3 tab-separated fields, expected 4 (RTE dev.tsv has 4 tab-separated fields per line)", error.Message);
    }

    [Fact]
    public void Row_with_too_many_fields_is_an_error_too()
    {
        using var folder = new TempFolder();
        string path = WriteTaskFile(folder, GlueTask.Cola, "train", "gj04\t1\t\tFine.", "gj04\t0\t*\tNot\tfine.");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Cola, "train", folder.Path));
        Assert.StartsWith($"{path}, line 2: row has 5 tab-separated fields, expected 4", error.Message);
    }

    [Fact]
    public void Unknown_label_names_file_line_and_valid_labels()
    {
        using var folder = new TempFolder();
        string path = WriteTaskFile(folder, GlueTask.Sst2, "dev", "sentence\tlabel", "good \t1", "bad \t0", "meh \t2");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Sst2, "dev", folder.Path));
        Assert.Equal($"{path}, line 4: label '2' (column 2) is not a SST-2 label; expected one of 0, 1", error.Message);

        // Labels match exactly: a trailing space or another case is not a label.
        WriteTaskFile(folder, GlueTask.Rte, "train", "index\tsentence1\tsentence2\tlabel", "0\tA.\tB.\tEntailment");
        error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Rte, "train", folder.Path));
        Assert.Contains("line 2: label 'Entailment' (column 4) is not a RTE label; expected one of entailment, not_entailment", error.Message);
    }

    [Fact]
    public void Unparsable_score_names_file_and_line()
    {
        using var folder = new TempFolder();
        string header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore";
        string path = WriteTaskFile(folder, GlueTask.Stsb, "train", header,
            "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane is taking off.\tAn air plane is taking off.\t5.000",
            "1\tmain-captions\tMSRvid\t2012test\t0004\tnone\tnone\tA man is playing a large flute.\tA man is playing a flute.\t3,800");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Stsb, "train", folder.Path));
        Assert.Equal($"{path}, line 3: score '3,800' (column 10) is not a finite number", error.Message);

        WriteTaskFile(folder, GlueTask.Stsb, "train", header, "0\tg\tf\ty\to\ts\ts\tA.\tB.\tNaN");
        error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Stsb, "train", folder.Path));
        Assert.Contains("line 2: score 'NaN'", error.Message);
    }

    [Fact]
    public void Empty_line_is_reported_not_skipped()
    {
        using var folder = new TempFolder();
        string path = WriteRaw(folder, GlueTask.Wnli, "dev", "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\t1\n\n1\tC.\tD.\t0\n");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Wnli, "dev", folder.Path));
        Assert.StartsWith($"{path}, line 3: empty line where a row was expected", error.Message);
    }

    [Fact]
    public void Header_with_the_wrong_width_is_reported_as_a_header()
    {
        using var folder = new TempFolder();
        WriteTaskFile(folder, GlueTask.Rte, "test", "index\tsentence1\tsentence2\tlabel", "0\tA.\tB.");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Rte, "test", folder.Path));
        Assert.Contains("line 1: header has 4 tab-separated fields, expected 3", error.Message);
    }

    [Fact]
    public void Missing_header_is_an_error_not_a_lost_first_row()
    {
        using var folder = new TempFolder();
        WriteTaskFile(folder, GlueTask.Sst2, "train", "hide new secretions from the parental units \t0", "contains no wit \t0");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Sst2, "train", folder.Path));
        Assert.Contains("line 1: expected a header line, but this looks like a data row", error.Message);

        WriteTaskFile(folder, GlueTask.Cola, "test", "0\tBill whistled past the house.");
        error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Cola, "test", folder.Path));
        Assert.Contains("line 1: expected a header line", error.Message);
    }

    [Fact]
    public void Empty_file_with_a_header_layout_is_an_error_and_header_only_file_is_empty()
    {
        using var folder = new TempFolder();
        string path = WriteRaw(folder, GlueTask.Mrpc, "dev", "");
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Mrpc, "dev", folder.Path));
        Assert.Equal($"{path}: the file is empty; a MRPC dev.tsv file starts with a header line", error.Message);

        WriteRaw(folder, GlueTask.Mrpc, "dev", "\uFEFFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n");
        Assert.Empty(GlueDataset.Load(GlueTask.Mrpc, "dev", folder.Path));
    }

    [Fact]
    public void Quotes_are_ordinary_characters_and_tabs_are_the_only_separator()
    {
        using var folder = new TempFolder();
        WriteTaskFile(folder, GlueTask.Rte, "dev", "index\tsentence1\tsentence2\tlabel",
            "0\t\"Unclosed quote, with a comma\t  spaces kept  \tentailment",
            "1\t\"\"\t'single' \"double\"\tnot_entailment");
        var dev = GlueDataset.Load(GlueTask.Rte, "dev", folder.Path);
        Assert.Equal(new GlueExample("dev-0", "\"Unclosed quote, with a comma", "  spaces kept  ", 0, null), dev[0]);
        Assert.Equal(new GlueExample("dev-1", "\"\"", "'single' \"double\"", 1, null), dev[1]);
    }

    [Fact]
    public void Last_line_without_newline_and_crlf_line_ends_are_read_like_python_text_mode()
    {
        using var folder = new TempFolder();
        WriteRaw(folder, GlueTask.Wnli, "dev", "index\tsentence1\tsentence2\tlabel\r\n0\tA.\tB.\t1\r\n1\tC.\tD.\t0");
        var dev = GlueDataset.Load(GlueTask.Wnli, "dev", folder.Path);
        Assert.Equal([1, 0], dev.GoldLabels());
        Assert.Equal("D.", dev[1].TextB);
    }

    [Fact]
    public void Byte_order_mark_is_stripped_only_at_the_start_of_the_file()
    {
        using var folder = new TempFolder();
        WriteRaw(folder, GlueTask.Cola, "dev", "\uFEFFgj04\t1\t\tA sentence.\ngj04\t0\t*\t\uFEFFKept inside text.\n");
        var dev = GlueDataset.Load(GlueTask.Cola, "dev", folder.Path);
        Assert.Equal(new GlueExample("dev-0", "A sentence.", null, 1, null), dev[0]);
        Assert.Equal("\uFEFFKept inside text.", dev[1].TextA);
    }

    [Fact]
    public void Invalid_utf8_is_reported_with_the_file()
    {
        using var folder = new TempFolder();
        byte[] content = [.. "sentence\tlabel\nok \t1\n"u8, 0xC3, 0x28, .. " \t0\n"u8];
        string path = WriteBytes(folder, GlueTask.Sst2, "dev", content);
        var error = Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Sst2, "dev", folder.Path));
        Assert.StartsWith(path, error.Message);
        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void Max_examples_stops_before_a_later_bad_line()
    {
        using var folder = new TempFolder();
        WriteTaskFile(folder, GlueTask.Sst2, "dev", "sentence\tlabel", "a \t1", "b \t0", "broken line");
        Assert.Equal(2, GlueDataset.Load(GlueTask.Sst2, "dev", folder.Path, maxExamples: 2).Count);
        Assert.Throws<InvalidDataException>(() => GlueDataset.Load(GlueTask.Sst2, "dev", folder.Path, maxExamples: 3));
    }

    [Fact]
    public void Load_file_reads_any_path_with_a_task_layout()
    {
        using var folder = new TempFolder();
        string path = folder.File("my-rte-sample.tsv");
        File.WriteAllText(path, "index\tsentence1\tsentence2\tlabel\n7\tA.\tB.\tentailment\n");
        var data = GlueDataset.LoadFile(GlueTask.Rte, "dev", path);
        Assert.Equal(new GlueExample("dev-7", "A.", "B.", 0, null), Assert.Single(data));
        Assert.Throws<FileNotFoundException>(() => GlueDataset.LoadFile(GlueTask.Rte, "dev", folder.File("nope.tsv")));
    }
}
