using DpBert.Tokenization;

namespace DpBert.Fuzz.Targets;

/// <summary>What a caller does with a tokenizer a reader built: tokenize and encode a pair with truncation.</summary>
internal static class TokenizerUse
{
    // Case, accents, CJK, a surrogate pair, control and odd whitespace, literal special tokens, punctuation, and a
    // word longer than the default max_input_chars_per_word, so every branch of the basic tokenizer and WordPiece runs.
    private const string Text = "Héllo, WORLD! Ünïcödé naïve café 你好世界 🙂 a\u0000b\u00a0c\td [CLS] un[SEP]affable [MASK]. ";
    private static readonly string LongWord = new('x', 150);

    public static void Exercise(BertTokenizer tokenizer)
    {
        tokenizer.Tokenize(Text + LongWord);
        tokenizer.Encode(Text, "a second sentence, [PAD] padded", maxLength: 16);
    }
}
