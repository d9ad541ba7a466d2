namespace DpBert.Tokenization;

/// <summary>
/// A batch of encoded inputs padded on the right to one length, in flat row-major arrays of
/// <see cref="BatchSize"/> x <see cref="SequenceLength"/> (B x S) as the model reads them. Padding has
/// input id <c>[PAD]</c> (0 in BERT vocabularies), attention 0 and token type 0.
/// </summary>
/// <param name="BatchSize">B, the number of rows.</param>
/// <param name="SequenceLength">S, the padded length of every row.</param>
/// <param name="InputIds">Token ids, (B, S).</param>
/// <param name="TokenTypeIds">Segment ids, (B, S).</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding, (B, S).</param>
/// <param name="Lengths">Unpadded length of every row, (B).</param>
public sealed record BertEncodingBatch(int BatchSize, int SequenceLength, int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, int[] Lengths)
{
    /// <summary>The input ids of row <paramref name="row"/> (padding included).</summary>
    public ReadOnlySpan<int> InputIdsOf(int row) => InputIds.AsSpan(RowStart(row), SequenceLength);

    /// <summary>The token type ids of row <paramref name="row"/> (padding included).</summary>
    public ReadOnlySpan<int> TokenTypeIdsOf(int row) => TokenTypeIds.AsSpan(RowStart(row), SequenceLength);

    /// <summary>The attention mask of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> AttentionMaskOf(int row) => AttentionMask.AsSpan(RowStart(row), SequenceLength);

    private int RowStart(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, BatchSize);
        return row * SequenceLength;
    }
}
