namespace DpBert.Bert;

/// <summary>
/// Model input: <see cref="BatchSize"/> sequences padded to <see cref="SequenceLength"/>, stored flat
/// row-major <c>(B, S)</c> as Hugging Face's <c>input_ids</c>, <c>token_type_ids</c> and <c>attention_mask</c>.
/// </summary>
/// <param name="InputIds">Token ids (B*S).</param>
/// <param name="TokenTypeIds">Segment ids (B*S).</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding (B*S).</param>
/// <param name="BatchSize">B.</param>
/// <param name="SequenceLength">S.</param>
public sealed record BertBatch(int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, int BatchSize, int SequenceLength)
{
    /// <summary>Number of token positions, B*S.</summary>
    public int TokenCount => BatchSize * SequenceLength;

    /// <summary>Builds a batch from per-sequence rows (all rows the same length).</summary>
    public static BertBatch FromRows(int[][] inputIds, int[][]? tokenTypeIds = null, int[][]? attentionMask = null)
    {
        int b = inputIds.Length, s = b == 0 ? 0 : inputIds[0].Length;
        var ids = new int[b * s];
        var types = new int[b * s];
        var mask = new int[b * s];
        for (int r = 0; r < b; r++)
        {
            if (inputIds[r].Length != s) throw new ArgumentException($"row {r} has {inputIds[r].Length} ids; row 0 has {s}");
            inputIds[r].CopyTo(ids, r * s);
            if (tokenTypeIds is not null) tokenTypeIds[r].AsSpan(0, s).CopyTo(types.AsSpan(r * s));
            if (attentionMask is not null) attentionMask[r].AsSpan(0, s).CopyTo(mask.AsSpan(r * s));
            else mask.AsSpan(r * s, s).Fill(1);
        }
        return new BertBatch(ids, types, mask, b, s);
    }

    /// <summary>The <paramref name="count"/> rows starting at <paramref name="start"/>, as a batch of their own (same padded length).</summary>
    public BertBatch Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > BatchSize) throw new ArgumentOutOfRangeException(nameof(count), $"rows [{start}, {start + count}) outside a batch of {BatchSize}");
        int s = SequenceLength;
        return new BertBatch(InputIds.AsSpan(start * s, count * s).ToArray(), TokenTypeIds.AsSpan(start * s, count * s).ToArray(),
            AttentionMask.AsSpan(start * s, count * s).ToArray(), count, s);
    }

    /// <summary>Checks the batch against a model's configuration; the message names the row, position and value at fault.</summary>
    /// <exception cref="ArgumentException">A size or an id is out of range.</exception>
    public void Validate(BertConfig config)
    {
        if (BatchSize < 1 || SequenceLength < 1) throw new ArgumentException($"empty batch: {BatchSize} sequences of {SequenceLength} tokens");
        int n = TokenCount;
        if (InputIds.Length != n || TokenTypeIds.Length != n || AttentionMask.Length != n)
            throw new ArgumentException($"batch arrays must hold B*S = {n} values (input_ids {InputIds.Length}, token_type_ids {TokenTypeIds.Length}, attention_mask {AttentionMask.Length})");
        if (SequenceLength > config.MaxPositionEmbeddings)
            throw new ArgumentException($"sequence length {SequenceLength} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}; truncate the input to at most {config.MaxPositionEmbeddings} tokens (the command line's --max-length or --max-seq-length)");
        for (int i = 0; i < n; i++)
        {
            if ((uint)InputIds[i] >= (uint)config.VocabSize)
                throw new ArgumentException($"input_ids[{i / SequenceLength}][{i % SequenceLength}] = {InputIds[i]} is outside the vocabulary (vocab_size {config.VocabSize})");
            if ((uint)TokenTypeIds[i] >= (uint)config.TypeVocabSize)
                throw new ArgumentException($"token_type_ids[{i / SequenceLength}][{i % SequenceLength}] = {TokenTypeIds[i]} is outside [0, {config.TypeVocabSize})");
            if (AttentionMask[i] is not (0 or 1))
                throw new ArgumentException($"attention_mask[{i / SequenceLength}][{i % SequenceLength}] = {AttentionMask[i]} must be 0 or 1");
        }
    }
}
