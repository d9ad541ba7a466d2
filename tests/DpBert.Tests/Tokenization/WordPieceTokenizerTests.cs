using DpBert.Tokenization;

namespace DpBert.Tests.Tokenization;

/// <summary>WordPiece on small hand-made vocabularies, independent of the BERT files.</summary>
public sealed class WordPieceTokenizerTests
{
    private static readonly WordPieceVocabulary Vocab = WordPieceVocabulary.FromTokens(
        ["[UNK]", "un", "##aff", "##able", "aff", "##a", "a", "##b", "ab", "##bc"]);

    private static IReadOnlyList<string> Pieces(string text, int maxChars = 100) =>
        new WordPieceTokenizer(Vocab, "[UNK]", maxChars).Tokenize(text);

    [Fact]
    public void Longest_pieces_first_with_continuation_prefix()
    {
        Assert.Equal(["un", "##aff", "##able"], Pieces("unaffable"));
        Assert.Equal(["aff", "##a"], Pieces("affa"));
        Assert.Equal(["a"], Pieces("a"));
        Assert.Equal(["ab", "##b"], Pieces("abb"));
    }

    [Fact]
    public void Greedy_matching_does_not_backtrack_so_an_uncoverable_rest_makes_the_word_unknown()
    {
        // "a" + "##bc" would cover it, but the longest first piece is "ab" and "##c" does not exist.
        Assert.Equal(["[UNK]"], Pieces("abc"));
        Assert.Equal(["[UNK]"], Pieces("unknown"));
    }

    [Fact]
    public void Words_are_split_on_whitespace_and_each_unknown_word_is_one_unk()
    {
        Assert.Equal(["un", "##aff", "[UNK]", "aff"], Pieces("  unaff\tzzz\naff "));
        Assert.Empty(Pieces(""));
    }

    [Fact]
    public void Word_length_limit_counts_code_points_not_utf16_units()
    {
        var emoji = WordPieceVocabulary.FromTokens(["[UNK]", "\U0001F600", "##\U0001F600"]);
        var tokenizer = new WordPieceTokenizer(emoji, "[UNK]", maxInputCharsPerWord: 3);
        Assert.Equal(["\U0001F600", "##\U0001F600", "##\U0001F600"], tokenizer.Tokenize("\U0001F600\U0001F600\U0001F600"));
        Assert.Equal(["[UNK]"], tokenizer.Tokenize("\U0001F600\U0001F600\U0001F600\U0001F600"));
        Assert.Equal(["[UNK]"], Pieces("aaaa", maxChars: 3));
        Assert.Equal(["a", "##a", "##a"], new WordPieceTokenizer(
            WordPieceVocabulary.FromTokens(["[UNK]", "a", "##a"]), "[UNK]", 3).Tokenize("aaa"));
    }

    [Fact]
    public void A_surrogate_pair_is_never_cut_in_half()
    {
        // "x" + high surrogate would be a piece if pairs could be split; Python slices code points.
        var vocab = WordPieceVocabulary.FromTokens(["[UNK]", "x", "x\uD83D", "##\uDE00", "##\U0001F600"]);
        Assert.Equal(["x", "##\U0001F600"], new WordPieceTokenizer(vocab).Tokenize("x\U0001F600"));
    }

    [Fact]
    public void Unknown_token_must_be_in_the_vocabulary()
    {
        var error = Assert.Throws<InvalidDataException>(() => new WordPieceTokenizer(Vocab, "<unk>"));
        Assert.Contains("<unk>", error.Message);
    }
}
