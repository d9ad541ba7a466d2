using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>Held-out rows: the same ones every time, disjoint from the rest, both parts in file order.</summary>
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
}
