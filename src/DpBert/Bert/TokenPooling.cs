using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// What a head that sits between layers (DPBERT's planner, an exit head) reads from the hidden states: the [CLS] row,
/// or the mean of the input's real tokens (attention mask 1). In models pre-trained for sentence embeddings with mean
/// pooling (all-MiniLM-L6-v2), [CLS] after the first layers carries almost nothing about the input: exit heads on it
/// stay at the majority class, and a planner reading it gives every input the same plan.
/// </summary>
public enum TokenPooling
{
    /// <summary>The [CLS] hidden state (the default, and what folders written before the choice existed read).</summary>
    Cls,

    /// <summary>The mean of the hidden states of the input's real tokens.</summary>
    Mean,
}

/// <summary>Names, forward and backward of <see cref="TokenPooling"/>.</summary>
public static class TokenPoolings
{
    /// <summary><c>cls</c> or <c>mean</c>, as folders and the command line write it.</summary>
    public static string Name(TokenPooling pooling) => pooling == TokenPooling.Mean ? "mean" : "cls";

    /// <summary>Parses <c>cls</c> or <c>mean</c>.</summary>
    /// <exception cref="ArgumentException">Any other text; the message names it.</exception>
    public static TokenPooling Parse(string text) => text switch
    {
        "cls" => TokenPooling.Cls,
        "mean" => TokenPooling.Mean,
        _ => throw new ArgumentException($"token pooling \"{text}\" is not one of cls, mean"),
    };

    /// <summary>
    /// Row <paramref name="row"/>'s summary (H values) of <paramref name="hidden"/> (B*S, H) into <paramref name="into"/>;
    /// <paramref name="attentionMask"/> (B*S) is only read for <see cref="TokenPooling.Mean"/>.
    /// </summary>
    public static void SummarizeRow(TokenPooling pooling, Span<float> into, ReadOnlySpan<float> hidden, ReadOnlySpan<int> attentionMask, int row, int seqLen, int hiddenSize)
    {
        int h = hiddenSize;
        if (pooling == TokenPooling.Cls) { hidden.Slice(row * seqLen * h, h).CopyTo(into); return; }
        if (attentionMask.Length < (row + 1) * seqLen) throw new ArgumentException($"mean pooling needs the attention mask: {attentionMask.Length} values for row {row} of {seqLen} tokens", nameof(attentionMask));
        into[..h].Clear();
        for (int t = 0; t < seqLen; t++)
            if (attentionMask[row * seqLen + t] != 0) Elementwise.AddInPlace(into[..h], hidden.Slice((row * seqLen + t) * h, h));
        Elementwise.Scale(into[..h], 1f / RealTokens(attentionMask, row, seqLen));
    }

    /// <summary>Every row's summary: (B, H) from (B*S, H).</summary>
    public static void Summarize(TokenPooling pooling, Span<float> into, ReadOnlySpan<float> hidden, ReadOnlySpan<int> attentionMask, int batchSize, int seqLen, int hiddenSize)
    {
        for (int r = 0; r < batchSize; r++) SummarizeRow(pooling, into.Slice(r * hiddenSize, hiddenSize), hidden, attentionMask, r, seqLen, hiddenSize);
    }

    /// <summary>
    /// Backward of <see cref="Summarize"/>:
    /// adds <paramref name="dSummary"/> (B, H) to <paramref name="dHidden"/> (B*S, H): to each [CLS] row, or shared equally
    /// by the real tokens. <paramref name="dSummary"/> may be scaled in place.
    /// </summary>
    public static void Backward(TokenPooling pooling, Span<float> dHidden, Span<float> dSummary, ReadOnlySpan<int> attentionMask, int batchSize, int seqLen, int hiddenSize)
    {
        int h = hiddenSize;
        for (int r = 0; r < batchSize; r++)
        {
            var d = dSummary.Slice(r * h, h);
            if (pooling == TokenPooling.Cls) { Elementwise.AddInPlace(dHidden.Slice(r * seqLen * h, h), d); continue; }
            Elementwise.Scale(d, 1f / RealTokens(attentionMask, r, seqLen));
            for (int t = 0; t < seqLen; t++)
                if (attentionMask[r * seqLen + t] != 0) Elementwise.AddInPlace(dHidden.Slice((r * seqLen + t) * h, h), d);
        }
    }

    private static int RealTokens(ReadOnlySpan<int> mask, int row, int seqLen)
    {
        int count = 0;
        for (int t = 0; t < seqLen; t++) if (mask[row * seqLen + t] != 0) count++;
        return Math.Max(1, count);
    }
}
