namespace DpBert.Glue;

/// <summary>
/// The split behind <see cref="HeldOutRows.Whole"/>: rows taken in a given order while they are whole (no longer row
/// contains them word for word), and the rows the taken ones contain. Rows compare as their words, separated by spaces and tabs.
/// </summary>
internal static class WholeRowSplit
{
    /// <summary>
    /// The first <paramref name="count"/> whole rows of <paramref name="order"/>, and every other row whose words occur,
    /// contiguous and in order, in one of them (including exact copies).
    /// </summary>
    /// <param name="texts">Each row's text.</param>
    /// <param name="order">The order in which rows are considered (a seeded shuffle).</param>
    /// <param name="count">How many whole rows to take.</param>
    /// <param name="source">Names the file in errors.</param>
    /// <exception cref="ArgumentOutOfRangeException">The file has fewer than <paramref name="count"/> whole rows.</exception>
    public static (HashSet<int> Taken, HashSet<int> Contained) Split(IReadOnlyList<string> texts, IReadOnlyList<int> order, int count, string source)
    {
        var words = texts.Select(t => t.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var padded = words.Select(w => " " + string.Join(' ', w) + " ").ToArray();

        // Which rows hold each word: a row can only lie inside rows that hold its rarest word.
        var rowsWith = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++)
        {
            foreach (string w in words[i].Distinct(StringComparer.Ordinal))
            {
                if (!rowsWith.TryGetValue(w, out var rows)) rowsWith[w] = rows = [];
                rows.Add(i);
            }
        }

        bool IsWhole(int i) =>
            words[i].Length > 0 &&
            !words[i].Select(w => rowsWith[w]).MinBy(rows => rows.Count)!
                .Any(j => words[j].Length > words[i].Length && padded[j].Contains(padded[i], StringComparison.Ordinal));

        // A copy of a row already taken is not taken again (it leaves the training set with the first).
        var taken = new HashSet<int>();
        var takenTexts = new HashSet<string>(StringComparer.Ordinal);
        foreach (int i in order)
        {
            if (taken.Count == count) break;
            if (IsWhole(i) && takenTexts.Add(padded[i])) taken.Add(i);
        }
        if (taken.Count < count)
            throw new ArgumentOutOfRangeException(nameof(count), $"--held-out {count} whole rows: {source} has only {taken.Count} rows not contained in a longer row");

        // Every contiguous run of words of a taken row: the rows equal to one of them lie inside it.
        var parts = new HashSet<string>(StringComparer.Ordinal);
        foreach (int i in taken)
        {
            var w = words[i];
            for (int start = 0; start < w.Length; start++)
                for (int length = 1; start + length <= w.Length; length++)
                    parts.Add(string.Join(' ', w, start, length));
        }
        var contained = Enumerable.Range(0, texts.Count)
            .Where(j => !taken.Contains(j) && words[j].Length > 0 && parts.Contains(string.Join(' ', words[j])))
            .ToHashSet();
        return (taken, contained);
    }
}
