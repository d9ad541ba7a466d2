namespace DpBert.Tokenization;

/// <summary>The ids of BERT's five special tokens in one vocabulary.</summary>
/// <param name="Pad">Id of <c>[PAD]</c> (filler after the end of a sequence).</param>
/// <param name="Unk">Id of <c>[UNK]</c> (a word WordPiece cannot cover).</param>
/// <param name="Cls">Id of <c>[CLS]</c> (first token; the pooler reads its hidden state).</param>
/// <param name="Sep">Id of <c>[SEP]</c> (ends each segment).</param>
/// <param name="Mask">Id of <c>[MASK]</c> (masked-language-model placeholder).</param>
public readonly record struct SpecialTokenIds(int Pad, int Unk, int Cls, int Sep, int Mask)
{
    /// <summary>The literal special tokens, in the order of the constructor.</summary>
    public static IReadOnlyList<string> Tokens { get; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>Whether <paramref name="id"/> is one of the five.</summary>
    public bool Contains(int id) => id == Pad || id == Unk || id == Cls || id == Sep || id == Mask;
}
