using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>
/// Examples tokenized once (truncated <c>longest_first</c> to a maximum length) and kept as id arrays, so
/// every epoch only pads and copies. Batches are padded to their longest row (dynamic padding).
/// </summary>
public sealed class EncodedDataset
{
    private readonly int[][] _ids, _types;

    /// <summary>Number of examples.</summary>
    public int Count => _ids.Length;
    /// <summary>Class labels (-1 where absent).</summary>
    public int[] Labels { get; }
    /// <summary>Regression targets (NaN where absent).</summary>
    public float[] Scores { get; }
    /// <summary>Token count of each example, specials included.</summary>
    public int[] Lengths { get; }

    /// <summary>
    /// What identifies these rows, e.g. <c>4963 rows, sha256 1f0c...</c>: a hash of every row's token and segment ids, label
    /// and score, in order. A resumed run compares it with its checkpoint's, since the same batches need the same rows.
    /// </summary>
    public string Fingerprint()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> scalar = stackalloc byte[8];
        for (int i = 0; i < Count; i++)
        {
            BitConverter.TryWriteBytes(scalar, _ids[i].Length);
            hash.AppendData(scalar[..4]);
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_ids[i].AsSpan()));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_types[i].AsSpan()));
            BitConverter.TryWriteBytes(scalar, Labels[i]);
            BitConverter.TryWriteBytes(scalar[4..], Scores[i]);
            hash.AppendData(scalar);
        }
        return $"{Count} rows, sha256 {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}";
    }

    /// <summary>Tokenizes <paramref name="examples"/> with <paramref name="tokenizer"/>, truncating to <paramref name="maxLength"/>.</summary>
    public EncodedDataset(IReadOnlyList<LabeledExample> examples, BertTokenizer tokenizer, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        _ids = new int[examples.Count][];
        _types = new int[examples.Count][];
        Labels = new int[examples.Count];
        Scores = new float[examples.Count];
        Lengths = new int[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            var encoding = tokenizer.Encode(e.TextA, e.TextB, maxLength);
            _ids[i] = encoding.InputIds;
            _types[i] = encoding.TokenTypeIds;
            Lengths[i] = encoding.Length;
            Labels[i] = e.Label ?? -1;
            Scores[i] = e.Score ?? float.NaN;
        }
    }

    /// <summary>Builds the padded batch of the given example indices.</summary>
    public BertBatch Batch(ReadOnlySpan<int> indices, int padId = 0)
    {
        int b = indices.Length, s = 0;
        foreach (int i in indices) s = Math.Max(s, Lengths[i]);
        var ids = new int[b * s];
        var types = new int[b * s];
        var mask = new int[b * s];
        for (int r = 0; r < b; r++)
        {
            int i = indices[r], n = Lengths[i];
            _ids[i].CopyTo(ids, r * s);
            if (padId != 0) ids.AsSpan(r * s + n, s - n).Fill(padId);
            _types[i].CopyTo(types, r * s);
            mask.AsSpan(r * s, n).Fill(1);
        }
        return new BertBatch(ids, types, mask, b, s);
    }

    /// <summary>The token ids of example <paramref name="index"/> (specials included, no padding).</summary>
    public ReadOnlySpan<int> TokenIds(int index) => _ids[index];

    /// <summary>The class labels of the given examples, in order.</summary>
    public int[] LabelsOf(ReadOnlySpan<int> indices)
    {
        var labels = new int[indices.Length];
        for (int r = 0; r < indices.Length; r++) labels[r] = Labels[indices[r]];
        return labels;
    }

    /// <summary>The regression targets of the given examples, in order.</summary>
    public float[] ScoresOf(ReadOnlySpan<int> indices)
    {
        var scores = new float[indices.Length];
        for (int r = 0; r < indices.Length; r++) scores[r] = Scores[indices[r]];
        return scores;
    }

    /// <summary>The examples in dataset order, in batches of <paramref name="batchSize"/>: the index of each batch's first example, its indices and the padded batch.</summary>
    public IEnumerable<(int Start, int[] Indices, BertBatch Batch)> InBatches(int batchSize, int padId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        for (int start = 0; start < Count; start += batchSize)
        {
            var indices = Enumerable.Range(start, Math.Min(batchSize, Count - start)).ToArray();
            yield return (start, indices, Batch(indices, padId));
        }
    }

    /// <summary>Total tokens (specials included, padding excluded) of the given examples.</summary>
    public long TokenCount(ReadOnlySpan<int> indices)
    {
        long n = 0;
        foreach (int i in indices) n += Lengths[i];
        return n;
    }
}
