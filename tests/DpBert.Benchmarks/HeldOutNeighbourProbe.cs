using DpBert.Glue;

namespace DpBert.Benchmarks;

/// <summary>
/// Development (issue 13): how like the training rows are the rows <c>--held-out</c> sets aside, against the dev set's?
/// For each held-out row and each dev row, the word-set Jaccard similarity to its nearest training row (lower-cased words,
/// punctuation stripped; both segments of a pair). Held-out rows much closer to the training rows than dev's are make the
/// held-out score an optimistic, poorly matched stand-in for dev (CoLA's training file holds many minimal pairs: variants of
/// one example sentence).
/// </summary>
internal static class HeldOutNeighbourProbe
{
    public static void Run(string task, int heldOut, HeldOutRows rows)
    {
        var glueTask = GlueTask.FromName(task);
        var (train, held) = GlueDataset.Load(glueTask, "train").SplitHeldOut(heldOut, rows: rows);
        var dev = GlueDataset.Load(glueTask, glueTask.EvaluationSplits[0]);
        var trainWords = train.Select(Words).ToList();
        Console.WriteLine($"{glueTask.Name}: {train.Count:N0} training rows; nearest training row of each row by word-set Jaccard similarity");
        Console.WriteLine("| rows | count | median | mean | share >= 0.6 | share >= 0.8 | share = 1 |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, set) in new[] { ("held-out", held), (dev.Split.Name, dev) })
        {
            var nearest = set.Select(e => Nearest(Words(e), trainWords)).Order().ToArray();
            double Share(Func<double, bool> test) => nearest.Count(test) / (double)nearest.Length;
            Console.WriteLine($"| {name} | {nearest.Length} | {nearest[nearest.Length / 2]:F3} | {nearest.Average():F3} | {Share(x => x >= 0.6):P1} | {Share(x => x >= 0.8):P1} | {Share(x => x >= 1):P1} |");
            BenchmarkProgram.Report(new { probe = "held-out-neighbours", task = glueTask.Name, rows = name, count = nearest.Length, median = nearest[nearest.Length / 2], mean = nearest.Average() });
        }
    }

    private static HashSet<string> Words(GlueExample e) =>
        $"{e.TextA} {e.TextB}".ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim('.', ',', '?', '!', '"', '\'', ';', ':')).Where(w => w.Length > 0).ToHashSet();

    private static double Nearest(HashSet<string> words, List<HashSet<string>> train)
    {
        double best = 0;
        foreach (var t in train)
        {
            int shared = words.Count(t.Contains);
            int union = words.Count + t.Count - shared;
            if (union > 0) best = Math.Max(best, (double)shared / union);
        }
        return best;
    }
}
