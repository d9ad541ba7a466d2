namespace DpBert.Training;

/// <summary>
/// The order of examples in one epoch, a pure function of (seed, epoch): shuffled, then grouped by length
/// (examples of similar length share a batch, so dynamic padding wastes little) with the batch order
/// shuffled again; or, with shuffling off, batches in file order.
/// </summary>
public static class BatchPlan
{
    /// <summary>How many batches' worth of examples are sorted by length together.</summary>
    public const int BucketBatches = 50;

    /// <summary>The batches of epoch <paramref name="epoch"/> (0-based), each an array of example indices.</summary>
    public static List<int[]> ForEpoch(int[] lengths, int batchSize, bool shuffle, int seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int n = lengths.Length;
        var order = Enumerable.Range(0, n).ToArray();
        var batches = new List<int[]>();
        if (!shuffle)
        {
            for (int start = 0; start < n; start += batchSize) batches.Add(order[start..Math.Min(n, start + batchSize)]);
            return batches;
        }
        var rng = new Random(unchecked(seed * 1000003 + epoch));
        rng.Shuffle(order);
        int bucket = batchSize * BucketBatches;
        for (int start = 0; start < n; start += bucket)
        {
            var chunk = order[start..Math.Min(n, start + bucket)];
            Array.Sort(chunk, (a, b) => lengths[a] != lengths[b] ? lengths[a].CompareTo(lengths[b]) : a.CompareTo(b));
            for (int s = 0; s < chunk.Length; s += batchSize) batches.Add(chunk[s..Math.Min(chunk.Length, s + batchSize)]);
        }
        rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }
}
