namespace DpBert.Glue;

/// <summary>
/// One of the nine GLUE tasks: its names, folder, labels, split files with their column layouts, and metrics.
/// Labels, columns and metrics follow the GLUE processors of Hugging Face transformers (<c>glue.py</c>) and the
/// <c>glue</c> metric that <c>run_glue</c> reports, so results compare with Hugging Face's number for number.
/// </summary>
public sealed class GlueTask
{
    private GlueTask(
        string name, string folderName, string[] aliases, string[] labels, string[] labelNames,
        bool isPairTask, GlueSplit[] splits, string[] metricNames)
    {
        Name = name;
        FolderName = folderName;
        Aliases = aliases;
        Labels = labels;
        LabelNames = labelNames;
        IsPairTask = isPairTask;
        Splits = splits;
        MetricNames = metricNames;
        EvaluationSplits = [.. splits.Where(s => s.HasGold && s.Name != "train").Select(s => s.Name)];
    }

    /// <summary>The canonical lower-case name, as Hugging Face spells it: <c>cola</c>, <c>sst2</c>, <c>stsb</c>, ...</summary>
    public string Name { get; }

    /// <summary>The task's folder in the <c>glue_data</c> layout: <c>CoLA</c>, <c>SST-2</c>, <c>STS-B</c>, ...</summary>
    public string FolderName { get; }

    /// <summary>Other accepted spellings of the name (<c>sst-2</c>, <c>sts-b</c>); matching is case-insensitive.</summary>
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>
    /// The label values as they appear in the files; a class id is an index into this list (the order of the
    /// transformers GLUE processors, e.g. MNLI <c>contradiction, entailment, neutral</c>). Empty for STS-B (regression).
    /// </summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Readable class names by class id (<c>unacceptable, acceptable</c> for CoLA), e.g. for a config's <c>id2label</c>. Empty for STS-B.</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>True for STS-B, whose gold answer is a similarity score from 0 to 5.</summary>
    public bool IsRegression => Labels.Count == 0;

    /// <summary>Classifier outputs the task needs: the number of labels, or 1 for regression (Hugging Face's <c>num_labels</c>).</summary>
    public int NumLabels => IsRegression ? 1 : Labels.Count;

    /// <summary>Whether each example is a sentence pair (every task but CoLA and SST-2).</summary>
    public bool IsPairTask { get; }

    /// <summary>The split files the task defines, in the order train, dev, test.</summary>
    public IReadOnlyList<GlueSplit> Splits { get; }

    /// <summary>
    /// The labelled splits results are reported on: <c>dev</c>, or for MNLI <c>dev_matched</c> and
    /// <c>dev_mismatched</c>, which are evaluated and reported separately.
    /// </summary>
    public IReadOnlyList<string> EvaluationSplits { get; }

    /// <summary>The metrics reported for the task, by <see cref="GlueMetricNames"/> name, without <c>combined_score</c>.</summary>
    public IReadOnlyList<string> MetricNames { get; }

    /// <summary>The metric that ranks models: the only metric, or <c>combined_score</c> (their mean) when there are several.</summary>
    public string MainMetricName => MetricNames.Count == 1 ? MetricNames[0] : GlueMetricNames.CombinedScore;

    /// <summary>The canonical name.</summary>
    public override string ToString() => Name;

    /// <summary>The split called <paramref name="name"/> (case-insensitive; <c>validation</c> is accepted for <c>dev</c>, as in Hugging Face datasets).</summary>
    /// <exception cref="ArgumentException">The task has no such split; the message lists those it has.</exception>
    public GlueSplit Split(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string wanted = name.Trim();
        if (wanted.StartsWith("validation", StringComparison.OrdinalIgnoreCase)) wanted = "dev" + wanted["validation".Length..];
        foreach (var split in Splits)
        {
            if (string.Equals(split.Name, wanted, StringComparison.OrdinalIgnoreCase)) return split;
        }
        throw new ArgumentException(
            $"GLUE task {Name} has no split '{name}'; valid splits: {string.Join(", ", Splits.Select(s => s.Name))}", nameof(name));
    }

    /// <summary>
    /// Scores predicted class ids against gold class ids with the task's metrics (accuracy; plus F1 of class 1 for
    /// MRPC and QQP; Matthews correlation alone for CoLA). For MNLI, call once per dev split.
    /// </summary>
    /// <param name="predictedLabels">Predicted class ids, indices into <see cref="Labels"/>.</param>
    /// <param name="goldLabels">Gold class ids, in the same order.</param>
    /// <param name="splitName">The split the predictions are for, recorded in the result (optional).</param>
    /// <exception cref="InvalidOperationException">The task is STS-B (use the score overload).</exception>
    /// <exception cref="ArgumentException">The lists are empty, differ in length, or hold an id outside the task's labels.</exception>
    public GlueScores Evaluate(IReadOnlyList<int> predictedLabels, IReadOnlyList<int> goldLabels, string? splitName = null)
    {
        ArgumentNullException.ThrowIfNull(predictedLabels);
        ArgumentNullException.ThrowIfNull(goldLabels);
        if (IsRegression)
            throw new InvalidOperationException($"{Name} is a regression task: evaluate predicted scores (float), not class ids");
        RequireClassIds(predictedLabels, nameof(predictedLabels));
        RequireClassIds(goldLabels, nameof(goldLabels));

        var metrics = new List<KeyValuePair<string, double>>(MetricNames.Count);
        foreach (string metric in MetricNames)
        {
            double value = metric switch
            {
                GlueMetricNames.Accuracy => GlueMetrics.Accuracy(predictedLabels, goldLabels),
                GlueMetricNames.F1 => GlueMetrics.F1(predictedLabels, goldLabels, positiveLabel: 1),
                GlueMetricNames.MatthewsCorrelation => GlueMetrics.MatthewsCorrelation(predictedLabels, goldLabels),
                _ => throw new InvalidOperationException($"metric {metric} does not apply to class ids"),
            };
            metrics.Add(new(metric, value));
        }
        return new GlueScores(Name, splitName, metrics);
    }

    /// <summary>Scores predicted STS-B similarity scores against gold scores: Pearson and Spearman correlation.</summary>
    /// <param name="predictedScores">Predicted scores (the regression head's single output).</param>
    /// <param name="goldScores">Gold scores, in the same order.</param>
    /// <param name="splitName">The split the predictions are for, recorded in the result (optional).</param>
    /// <exception cref="InvalidOperationException">The task is a classification task (use the class-id overload).</exception>
    /// <exception cref="ArgumentException">Fewer than two values, or the lists differ in length.</exception>
    public GlueScores Evaluate(IReadOnlyList<float> predictedScores, IReadOnlyList<float> goldScores, string? splitName = null)
    {
        ArgumentNullException.ThrowIfNull(predictedScores);
        ArgumentNullException.ThrowIfNull(goldScores);
        if (!IsRegression)
            throw new InvalidOperationException($"{Name} is a classification task: evaluate predicted class ids (int), not scores");
        return new GlueScores(Name, splitName,
        [
            new(GlueMetricNames.Pearson, GlueMetrics.Pearson(predictedScores, goldScores)),
            new(GlueMetricNames.Spearman, GlueMetrics.Spearman(predictedScores, goldScores)),
        ]);
    }

    /// <summary>The class id of label value <paramref name="label"/> as written in a file (exact, case-sensitive), or -1.</summary>
    internal int LabelIndex(string label)
    {
        for (int i = 0; i < Labels.Count; i++)
            if (string.Equals(Labels[i], label, StringComparison.Ordinal)) return i;
        return -1;
    }

    private void RequireClassIds(IReadOnlyList<int> ids, string parameterName)
    {
        for (int i = 0; i < ids.Count; i++)
        {
            if ((uint)ids[i] >= (uint)Labels.Count)
                throw new ArgumentException($"{parameterName}[{i}] = {ids[i]} is not a class id of {Name} (0 to {Labels.Count - 1}: {string.Join(", ", Labels)})", parameterName);
        }
    }

    /// <summary>The Corpus of Linguistic Acceptability: is the sentence grammatical? Matthews correlation.</summary>
    public static GlueTask Cola { get; } = new(
        "cola", "CoLA", [], ["0", "1"], ["unacceptable", "acceptable"], isPairTask: false,
        [
            // No header; columns: source, label, original mark, sentence.
            new("train", "train.tsv", HasHeader: false, FieldCount: 4, IdColumn: null, TextAColumn: 3, TextBColumn: null, GoldColumn: 1),
            new("dev", "dev.tsv", HasHeader: false, FieldCount: 4, IdColumn: null, TextAColumn: 3, TextBColumn: null, GoldColumn: 1),
            // index, sentence
            new("test", "test.tsv", HasHeader: true, FieldCount: 2, IdColumn: 0, TextAColumn: 1, TextBColumn: null, GoldColumn: null),
        ],
        [GlueMetricNames.MatthewsCorrelation]);

    /// <summary>The Stanford Sentiment Treebank, binary: is the movie-review phrase positive? Accuracy.</summary>
    public static GlueTask Sst2 { get; } = new(
        "sst2", "SST-2", ["sst-2"], ["0", "1"], ["negative", "positive"], isPairTask: false,
        [
            // sentence, label
            new("train", "train.tsv", HasHeader: true, FieldCount: 2, IdColumn: null, TextAColumn: 0, TextBColumn: null, GoldColumn: 1),
            new("dev", "dev.tsv", HasHeader: true, FieldCount: 2, IdColumn: null, TextAColumn: 0, TextBColumn: null, GoldColumn: 1),
            // index, sentence
            new("test", "test.tsv", HasHeader: true, FieldCount: 2, IdColumn: 0, TextAColumn: 1, TextBColumn: null, GoldColumn: null),
        ],
        [GlueMetricNames.Accuracy]);

    /// <summary>The Microsoft Research Paraphrase Corpus: are the two sentences paraphrases? Accuracy and F1.</summary>
    public static GlueTask Mrpc { get; } = new(
        "mrpc", "MRPC", [], ["0", "1"], ["not_equivalent", "equivalent"], isPairTask: true,
        [
            // Quality, #1 ID, #2 ID, #1 String, #2 String (train and dev start with a UTF-8 BOM)
            new("train", "train.tsv", HasHeader: true, FieldCount: 5, IdColumn: null, TextAColumn: 3, TextBColumn: 4, GoldColumn: 0),
            new("dev", "dev.tsv", HasHeader: true, FieldCount: 5, IdColumn: null, TextAColumn: 3, TextBColumn: 4, GoldColumn: 0),
            // index, #1 ID, #2 ID, #1 String, #2 String
            new("test", "test.tsv", HasHeader: true, FieldCount: 5, IdColumn: 0, TextAColumn: 3, TextBColumn: 4, GoldColumn: null),
        ],
        [GlueMetricNames.Accuracy, GlueMetricNames.F1]);

    /// <summary>The Semantic Textual Similarity Benchmark: how similar are the sentences, 0 to 5? Pearson and Spearman.</summary>
    public static GlueTask Stsb { get; } = new(
        "stsb", "STS-B", ["sts-b"], [], [], isPairTask: true,
        [
            // index, genre, filename, year, old_index, source1, source2, sentence1, sentence2, score
            new("train", "train.tsv", HasHeader: true, FieldCount: 10, IdColumn: 0, TextAColumn: 7, TextBColumn: 8, GoldColumn: 9),
            new("dev", "dev.tsv", HasHeader: true, FieldCount: 10, IdColumn: 0, TextAColumn: 7, TextBColumn: 8, GoldColumn: 9),
            new("test", "test.tsv", HasHeader: true, FieldCount: 9, IdColumn: 0, TextAColumn: 7, TextBColumn: 8, GoldColumn: null),
        ],
        [GlueMetricNames.Pearson, GlueMetricNames.Spearman]);

    /// <summary>Quora Question Pairs: do the two questions ask the same thing? Accuracy and F1.</summary>
    public static GlueTask Qqp { get; } = new(
        "qqp", "QQP", [], ["0", "1"], ["not_duplicate", "duplicate"], isPairTask: true,
        [
            // id, qid1, qid2, question1, question2, is_duplicate
            new("train", "train.tsv", HasHeader: true, FieldCount: 6, IdColumn: 0, TextAColumn: 3, TextBColumn: 4, GoldColumn: 5),
            new("dev", "dev.tsv", HasHeader: true, FieldCount: 6, IdColumn: 0, TextAColumn: 3, TextBColumn: 4, GoldColumn: 5),
            // id, question1, question2
            new("test", "test.tsv", HasHeader: true, FieldCount: 3, IdColumn: 0, TextAColumn: 1, TextBColumn: 2, GoldColumn: null),
        ],
        [GlueMetricNames.Accuracy, GlueMetricNames.F1]);

    /// <summary>
    /// Multi-Genre Natural Language Inference: does the premise entail, contradict or neither the hypothesis?
    /// Accuracy, reported separately on the matched (in-genre) and mismatched (cross-genre) dev sets.
    /// </summary>
    public static GlueTask Mnli { get; } = new(
        "mnli", "MNLI", [], ["contradiction", "entailment", "neutral"], ["contradiction", "entailment", "neutral"], isPairTask: true,
        [
            // index, promptID, pairID, genre, sentence1/2_binary_parse, sentence1/2_parse, sentence1, sentence2, label1, gold_label
            new("train", "train.tsv", HasHeader: true, FieldCount: 12, IdColumn: 0, TextAColumn: 8, TextBColumn: 9, GoldColumn: 11),
            // ... sentence1, sentence2, label1, label2, label3, label4, label5, gold_label
            new("dev_matched", "dev_matched.tsv", HasHeader: true, FieldCount: 16, IdColumn: 0, TextAColumn: 8, TextBColumn: 9, GoldColumn: 15),
            new("dev_mismatched", "dev_mismatched.tsv", HasHeader: true, FieldCount: 16, IdColumn: 0, TextAColumn: 8, TextBColumn: 9, GoldColumn: 15),
            // ... sentence1, sentence2
            new("test_matched", "test_matched.tsv", HasHeader: true, FieldCount: 10, IdColumn: 0, TextAColumn: 8, TextBColumn: 9, GoldColumn: null),
            new("test_mismatched", "test_mismatched.tsv", HasHeader: true, FieldCount: 10, IdColumn: 0, TextAColumn: 8, TextBColumn: 9, GoldColumn: null),
        ],
        [GlueMetricNames.Accuracy]);

    /// <summary>Question NLI (from SQuAD): does the sentence contain the answer to the question? Accuracy.</summary>
    public static GlueTask Qnli { get; } = new(
        "qnli", "QNLI", [], ["entailment", "not_entailment"], ["entailment", "not_entailment"], isPairTask: true,
        IndexedPairSplits(), [GlueMetricNames.Accuracy]);

    /// <summary>Recognizing Textual Entailment: does the first sentence entail the second? Accuracy.</summary>
    public static GlueTask Rte { get; } = new(
        "rte", "RTE", [], ["entailment", "not_entailment"], ["entailment", "not_entailment"], isPairTask: true,
        IndexedPairSplits(), [GlueMetricNames.Accuracy]);

    /// <summary>Winograd NLI: is the sentence with the pronoun replaced entailed by the original? Accuracy.</summary>
    public static GlueTask Wnli { get; } = new(
        "wnli", "WNLI", [], ["0", "1"], ["not_entailment", "entailment"], isPairTask: true,
        IndexedPairSplits(), [GlueMetricNames.Accuracy]);

    /// <summary>The nine tasks in the GLUE paper's order.</summary>
    public static IReadOnlyList<GlueTask> All { get; } = [Cola, Sst2, Mrpc, Stsb, Qqp, Mnli, Qnli, Rte, Wnli];

    /// <summary>
    /// The task called <paramref name="name"/>: its canonical name (<c>sst2</c>), an alias (<c>sst-2</c>) or its
    /// folder name (<c>SST-2</c>), case-insensitive.
    /// </summary>
    /// <exception cref="ArgumentException">No task has that name; the message lists the valid names.</exception>
    public static GlueTask FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (TryFromName(name, out var task)) return task;
        var valid = All.Select(t => t.Aliases.Count == 0 ? t.Name : $"{t.Name} ({string.Join(", ", t.Aliases)})");
        throw new ArgumentException($"unknown GLUE task '{name}'; valid names: {string.Join(", ", valid)}", nameof(name));
    }

    /// <summary>Looks up a task as <see cref="FromName"/> does, without throwing.</summary>
    public static bool TryFromName(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GlueTask? task)
    {
        string wanted = name?.Trim() ?? "";
        task = All.FirstOrDefault(t =>
            string.Equals(t.Name, wanted, StringComparison.OrdinalIgnoreCase)
            || string.Equals(t.FolderName, wanted, StringComparison.OrdinalIgnoreCase)
            || t.Aliases.Any(a => string.Equals(a, wanted, StringComparison.OrdinalIgnoreCase)));
        return task is not null;
    }

    /// <summary>QNLI, RTE and WNLI share one layout: <c>index, sentence1, sentence2, label</c> (test without label).</summary>
    private static GlueSplit[] IndexedPairSplits() =>
    [
        new("train", "train.tsv", HasHeader: true, FieldCount: 4, IdColumn: 0, TextAColumn: 1, TextBColumn: 2, GoldColumn: 3),
        new("dev", "dev.tsv", HasHeader: true, FieldCount: 4, IdColumn: 0, TextAColumn: 1, TextBColumn: 2, GoldColumn: 3),
        new("test", "test.tsv", HasHeader: true, FieldCount: 3, IdColumn: 0, TextAColumn: 1, TextBColumn: 2, GoldColumn: null),
    ];
}
