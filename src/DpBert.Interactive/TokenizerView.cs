using DpBert.Interactive.Html;
using DpBert.Tokenization;

namespace DpBert.Interactive;

/// <summary>
/// What the tokenizer makes of a text: each word piece with its vocabulary id, outlined in one colour for the
/// first segment and another for the second (a pair's <c>token_type_ids</c>).
/// </summary>
/// <param name="Encoding">An encoding from <see cref="BertTokenizer.Encode"/>.</param>
/// <param name="MaxTokens">Word pieces shown before the rest are summarised.</param>
public sealed record TokenizerView(BertEncoding Encoding, int MaxTokens = 256) : IHtmlView
{
    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        bool pair = Encoding.TokenTypeIds.Any(t => t != 0);
        int pieces = Encoding.Tokens.Count(t => !(t.Length > 2 && t[0] == '[' && t[^1] == ']'));
        ViewFrame.Open(html, "tokenizer-view", $"{Invariant.Count(Encoding.Length)} tokens ({Invariant.Count(pieces)} word pieces + special tokens){(pair ? ", two segments" : "")}");
        TokenChips.Write(html, Encoding.Tokens, MaxTokens, Encoding.InputIds, Encoding.TokenTypeIds);
        if (pair) Legend.Write(html, [("segment 0 (token_type_id 0)", Palette.Series(0), false), ("segment 1 (token_type_id 1)", Palette.Series(1), false)]);
        ViewFrame.Caption(html, "Each box: the word piece and its id in the vocabulary. ## marks a piece that continues the previous word.");
        html.Close();
        return html.ToString();
    }

    /// <summary>Plain-text summary: the word pieces separated by spaces.</summary>
    public override string ToString() => string.Join(" ", Encoding.Tokens);
}
