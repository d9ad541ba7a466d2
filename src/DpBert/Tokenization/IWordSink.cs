namespace DpBert.Tokenization;

/// <summary>Receives the words of <see cref="BasicTokenizer"/> one at a time, without allocating.</summary>
internal interface IWordSink
{
    /// <summary>
    /// Takes one word. <paramref name="neverSplit"/> marks a never-split token (kept whole, not
    /// normalised). Returns false to stop the tokenizer early (for example when an id buffer is full).
    /// </summary>
    bool Accept(scoped ReadOnlySpan<char> word, bool neverSplit);
}
