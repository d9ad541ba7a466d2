using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>Held-out rows: the same ones every time, disjoint from the rest, both parts in file order; whole rows only when asked.</summary>
public class HeldOutTests
{
    private static string GlueDir => Path.Combine(GoldenFiles.SharedFolder, "glue");

    [Fact]
    public void Held_out_rows_are_fixed_disjoint_and_in_file_order()
    {
        var all = GlueDataset.Load(GlueTask.Rte, "train", GlueDir);
        var (train, heldOut) = all.SplitHeldOut(200);
        var (train2, heldOut2) = GlueDataset.Load(GlueTask.Rte, "train", GlueDir).SplitHeldOut(200);
        Assert.Equal(200, heldOut.Count);
        Assert.Equal(all.Count - 200, train.Count);
        Assert.Equal(heldOut.Select(e => e.TextA + e.TextB), heldOut2.Select(e => e.TextA + e.TextB));
        Assert.Equal(train.Select(e => e.TextA + e.TextB), train2.Select(e => e.TextA + e.TextB));
        var rows = all.Select((e, i) => (Key: e.TextA + "\t" + e.TextB + "\t" + e.Label, Index: i)).ToList();
        var index = rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Select(r => r.Index).ToList());
        int Position(GlueExample e) => index[e.TextA + "\t" + e.TextB + "\t" + e.Label][0];
        Assert.Empty(train.Select(e => e.TextA + "\t" + e.TextB + "\t" + e.Label).Intersect(heldOut.Select(e => e.TextA + "\t" + e.TextB + "\t" + e.Label)));
        var positions = heldOut.Select(Position).ToList();
        Assert.Equal(positions.Order(), positions);
        // Spread over the file, not its first rows.
        Assert.True(positions.Max() > all.Count / 2 && positions.Min() < all.Count / 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => all.SplitHeldOut(all.Count));
        Assert.Equal(10, train.FirstRows(10).Count);
    }

    [Fact]
    public void Whole_held_out_rows_are_sentences_whose_phrases_leave_the_training_set()
    {
        var all = GlueDataset.Load(GlueTask.Sst2, "train", GlueDir);
        var (train, heldOut) = all.SplitHeldOut(100, rows: HeldOutRows.Whole);
        Assert.Equal(100, heldOut.Count);
        // Taken in the seeded order: spread over the file, in file order, and other rows under another seed.
        var positions = heldOut.Select(e => int.Parse(e.Guid["train-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(positions.Order(), positions);
        Assert.True(positions.Max() > all.Count / 2 && positions.Min() < all.Count / 2);
        Assert.NotEqual(heldOut.Select(e => e.TextA), all.SplitHeldOut(100, seed: 1, rows: HeldOutRows.Whole).HeldOut.Select(e => e.TextA));

        // A plain scan of the file, no index: no row is longer than a held-out row and holds it.
        var padded = all.Select(e => Padded(e.TextA)).ToList();
        foreach (var h in heldOut.Select(e => Padded(e.TextA)))
            Assert.DoesNotContain(padded, o => o.Length > h.Length && o.Contains(h, StringComparison.Ordinal));
        // The training rows are exactly the others that lie in no held-out row.
        var held = heldOut.Select(e => Padded(e.TextA)).ToList();
        var expected = all.Select(e => Padded(e.TextA)).Where(t => !held.Any(h => h.Contains(t, StringComparison.Ordinal))).ToList();
        Assert.Equal(expected, train.Select(e => Padded(e.TextA)));
        // Each sentence takes its phrases with it, and the held-out rows are sentences: about twice as long as the average row.
        Assert.True(all.Count - train.Count - heldOut.Count > 3 * heldOut.Count, $"{all.Count - train.Count - heldOut.Count} rows left the training set");
        Assert.True(heldOut.Average(e => Words(e.TextA)) > 1.5 * all.Average(e => Words(e.TextA)));
    }

    [Fact]
    public void Whole_held_out_rows_need_enough_whole_single_sentence_rows()
    {
        string dir = Directory.CreateTempSubdirectory("heldout").FullName;
        try
        {
            string path = Path.Combine(dir, "train.tsv");
            File.WriteAllText(path, "sentence\tlabel\na fine film \t1\nfine film\t1\na dull plot\t0\ndull\t0\na fine film\t1\n");
            var rows = GlueDataset.LoadFile(GlueTask.Sst2, "train", path);
            var (train, heldOut) = rows.SplitHeldOut(1, rows: HeldOutRows.Whole);
            // Whichever sentence is held out, its phrases and its copy go with it; the other sentence's rows stay.
            var kept = heldOut[0].TextA.StartsWith("a fine", StringComparison.Ordinal) ? new[] { "a dull plot", "dull" } : ["a fine film ", "fine film", "a fine film"];
            Assert.Equal(kept, train.Select(e => e.TextA));
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => rows.SplitHeldOut(3, rows: HeldOutRows.Whole));
            Assert.Contains("has only 2 rows not contained in a longer row", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => rows.SplitHeldOut(2, rows: HeldOutRows.Whole));
        }
        finally { Directory.Delete(dir, recursive: true); }
        Assert.Throws<ArgumentException>(() => GlueDataset.Load(GlueTask.Rte, "train", GlueDir).SplitHeldOut(10, rows: HeldOutRows.Whole));
    }

    private static string Padded(string text) => " " + string.Join(' ', text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)) + " ";

    private static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
