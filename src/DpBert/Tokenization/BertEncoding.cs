namespace DpBert.Tokenization;

/// <summary>
/// One encoded input as Hugging Face's <c>tokenizer(text, text_pair)</c> returns it:
/// <c>[CLS] a [SEP]</c> or <c>[CLS] a [SEP] b [SEP]</c>, unpadded.
/// </summary>
/// <param name="InputIds">Token ids, special tokens included.</param>
/// <param name="TokenTypeIds">0 for <c>[CLS]</c>, the first segment and its <c>[SEP]</c>; 1 for the second segment and the last <c>[SEP]</c>.</param>
/// <param name="AttentionMask">1 for every token (an unpadded sequence).</param>
/// <param name="Tokens">The vocabulary token of every id.</param>
public sealed record BertEncoding(int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, string[] Tokens)
{
    /// <summary>Number of tokens, special tokens included.</summary>
    public int Length => InputIds.Length;
}
