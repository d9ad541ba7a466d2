using System.Collections;

namespace DpBert.Glue;

/// <summary>
/// The examples of one split of one GLUE task, in file order, with their gold labels or scores when the split
/// has them. Load with <see cref="Load(GlueTask, string, string?, int?)"/>; score predictions with
/// <see cref="Evaluate(IReadOnlyList{int})"/>.
/// </summary>
public sealed class GlueDataset : IReadOnlyList<GlueExample>
{
    private readonly List<GlueExample> _examples;

    private GlueDataset(GlueTask task, GlueSplit split, string filePath, List<GlueExample> examples)
    {
        Task = task;
        Split = split;
        FilePath = filePath;
        _examples = examples;
    }

    /// <summary>The task the examples belong to.</summary>
    public GlueTask Task { get; }

    /// <summary>The split, with its file name and column layout.</summary>
    public GlueSplit Split { get; }

    /// <summary>The full path of the file the examples were read from.</summary>
    public string FilePath { get; }

    /// <summary>Number of examples loaded.</summary>
    public int Count => _examples.Count;

    /// <summary>The example at row <paramref name="index"/> (0-based, file order).</summary>
    public GlueExample this[int index] => _examples[index];

    /// <summary>
    /// Sets <paramref name="count"/> rows aside, chosen by a shuffle seeded with <paramref name="seed"/> (the same rows
    /// every time), for choosing checkpoints, knobs and operating points without looking at the dev set. Both parts
    /// keep file order. With <see cref="HeldOutRows.Whole"/> only rows not contained in a longer row are set aside, and the rows
    /// they contain leave the training part (which then has fewer than <c>Count - count</c> rows).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative, leaves no training row, or
    /// exceeds the whole rows of the file.</exception>
    /// <param name="count">How many rows to set aside.</param>
    /// <param name="seed">Seeds the shuffle; every command uses the default, <see cref="HeldOutSeed"/>.</param>
    /// <param name="rows">Which rows may be set aside.</param>
    /// <exception cref="ArgumentException"><see cref="HeldOutRows.Whole"/> on a task of sentence pairs.</exception>
    public (GlueDataset Training, GlueDataset HeldOut) SplitHeldOut(int count, int seed = HeldOutSeed, HeldOutRows rows = HeldOutRows.Any)
    {
        if (count < 0 || count >= Count) throw new ArgumentOutOfRangeException(nameof(count), $"--held-out {count} must be in [0, {Count}) for {FilePath}'s {Count} rows");
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(seed).Shuffle(order);
        HashSet<int> heldOut, dropped;
        if (rows == HeldOutRows.Whole)
        {
            if (Task.IsPairTask) throw new ArgumentException($"--held-out-rows whole is for single-sentence tasks (SST-2, CoLA); {Task.Name} rows are sentence pairs", nameof(rows));
            (heldOut, dropped) = WholeRowSplit.Split([.. _examples.Select(e => e.TextA)], order, count, FilePath);
            if (heldOut.Count + dropped.Count >= Count) throw new ArgumentOutOfRangeException(nameof(count), $"--held-out {count} whole rows of {FilePath} contain every other row: no training row is left");
        }
        else (heldOut, dropped) = (order.Take(count).ToHashSet(), []);
        return (new GlueDataset(Task, Split, FilePath, _examples.Where((_, i) => !heldOut.Contains(i) && !dropped.Contains(i)).ToList()),
                new GlueDataset(Task, Split, FilePath, _examples.Where((_, i) => heldOut.Contains(i)).ToList()));
    }

    /// <summary>The first <paramref name="count"/> rows (all when there are fewer).</summary>
    public GlueDataset FirstRows(int count) => new(Task, Split, FilePath, _examples.Take(Math.Max(0, count)).ToList());

    /// <summary>The seed that picks the held-out rows (fixed, so every command sets the same rows aside).</summary>
    public const int HeldOutSeed = 20231130;

    /// <summary>
    /// Reads split <paramref name="split"/> of <paramref name="task"/> from the GLUE data folder: <paramref name="dataDir"/>
    /// when given, else the <c>GLUE_DIR</c> environment variable, else <c>data/glue</c> under the current directory.
    /// </summary>
    /// <param name="task">The task, e.g. <see cref="GlueTask.Mrpc"/>.</param>
    /// <param name="split"><c>train</c>, <c>dev</c>, <c>test</c> (MNLI: <c>dev_matched</c>, <c>dev_mismatched</c>, <c>test_matched</c>, <c>test_mismatched</c>).</param>
    /// <param name="dataDir">The folder holding <c>CoLA/</c>, <c>SST-2/</c>, ... (optional).</param>
    /// <param name="maxExamples">Read only the first N rows in file order (optional).</param>
    /// <exception cref="ArgumentException">The task has no such split, or <paramref name="maxExamples"/> is negative.</exception>
    /// <exception cref="DirectoryNotFoundException">No data folder; the message says where it looked and how to get the data.</exception>
    /// <exception cref="FileNotFoundException">The data folder lacks the split's file.</exception>
    /// <exception cref="InvalidDataException">A line does not fit the split's layout; the message names file and line.</exception>
    public static GlueDataset Load(GlueTask task, string split, string? dataDir = null, int? maxExamples = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        var glueSplit = task.Split(split);
        RequireValidMaximum(maxExamples);
        string path = GlueDataFolder.FileOf(task, glueSplit, dataDir);
        return new GlueDataset(task, glueSplit, path, GlueTsvReader.Read(path, task, glueSplit, maxExamples));
    }

    /// <summary>Reads a split of the task called <paramref name="taskName"/> (<c>cola</c>, <c>sst-2</c>, ...); see <see cref="Load(GlueTask, string, string?, int?)"/>.</summary>
    /// <exception cref="ArgumentException">Unknown task (the message lists the valid names) or split.</exception>
    public static GlueDataset Load(string taskName, string split, string? dataDir = null, int? maxExamples = null) =>
        Load(GlueTask.FromName(taskName), split, dataDir, maxExamples);

    /// <summary>Reads the file at <paramref name="path"/>, which must have the layout of split <paramref name="split"/> of <paramref name="task"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">A line does not fit the split's layout; the message names file and line.</exception>
    public static GlueDataset LoadFile(GlueTask task, string split, string path, int? maxExamples = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(path);
        var glueSplit = task.Split(split);
        RequireValidMaximum(maxExamples);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"GLUE {task.Name} {glueSplit.Name}: {fullPath} not found", fullPath);
        return new GlueDataset(task, glueSplit, fullPath, GlueTsvReader.Read(fullPath, task, glueSplit, maxExamples));
    }

    /// <summary>The gold class id of every example, in order.</summary>
    /// <exception cref="InvalidOperationException">The split has no labels (test), or the task is STS-B (see <see cref="GoldScores"/>).</exception>
    public int[] GoldLabels()
    {
        RequireGold(wantRegression: false);
        return [.. _examples.Select(e => e.Label!.Value)];
    }

    /// <summary>The gold STS-B score of every example, in order.</summary>
    /// <exception cref="InvalidOperationException">The split has no scores (test), or the task is a classification task (see <see cref="GoldLabels"/>).</exception>
    public float[] GoldScores()
    {
        RequireGold(wantRegression: true);
        return [.. _examples.Select(e => e.Score!.Value)];
    }

    /// <summary>Scores predicted class ids, one per example in order, against this split's gold labels.</summary>
    /// <exception cref="InvalidOperationException">The split has no gold labels, or the task is STS-B.</exception>
    /// <exception cref="ArgumentException">The count differs from <see cref="Count"/>, or an id is outside the task's labels.</exception>
    public GlueScores Evaluate(IReadOnlyList<int> predictedLabels) => Task.Evaluate(predictedLabels, GoldLabels(), Split.Name);

    /// <summary>Scores predicted STS-B scores, one per example in order, against this split's gold scores.</summary>
    /// <exception cref="InvalidOperationException">The split has no gold scores, or the task is a classification task.</exception>
    /// <exception cref="ArgumentException">The count differs from <see cref="Count"/>.</exception>
    public GlueScores Evaluate(IReadOnlyList<float> predictedScores) => Task.Evaluate(predictedScores, GoldScores(), Split.Name);

    /// <summary>The examples in file order.</summary>
    public IEnumerator<GlueExample> GetEnumerator() => _examples.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>E.g. <c>mrpc dev: 408 examples from /data/glue/MRPC/dev.tsv</c>.</summary>
    public override string ToString() => $"{Task.Name} {Split.Name}: {Count} examples from {FilePath}";

    private void RequireGold(bool wantRegression)
    {
        if (!Split.HasGold)
            throw new InvalidOperationException($"{Task.Name} {Split.Name} has no gold answers (GLUE test files are unlabelled)");
        if (Task.IsRegression != wantRegression)
        {
            throw new InvalidOperationException(Task.IsRegression
                ? $"{Task.Name} is a regression task: use GoldScores() and score predictions as floats"
                : $"{Task.Name} is a classification task: use GoldLabels() and score predictions as class ids");
        }
    }

    private static void RequireValidMaximum(int? maxExamples)
    {
        if (maxExamples < 0)
            throw new ArgumentOutOfRangeException(nameof(maxExamples), maxExamples, "maxExamples must be zero or more (null reads every row)");
    }
}
