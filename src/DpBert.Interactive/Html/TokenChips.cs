namespace DpBert.Interactive.Html;

/// <summary>
/// Word pieces as small boxes in reading order; special tokens (<c>[CLS]</c>, <c>[SEP]</c>, ...) are faded and
/// continuation pieces (<c>##ing</c>) sit closer to the piece before them. Optional second line: the id.
/// </summary>
internal static class TokenChips
{
    /// <summary>Writes at most <paramref name="maxTokens"/> chips; the number left out is said after them.</summary>
    public static void Write(HtmlBuilder html, IReadOnlyList<string> tokens, int maxTokens, IReadOnlyList<int>? ids = null, IReadOnlyList<int>? segments = null)
    {
        html.Open("div", ("class", "dpbert-tokens"), ("style", "display: flex; flex-wrap: wrap; gap: 3px; align-items: flex-start;"));
        int shown = Math.Min(tokens.Count, maxTokens);
        for (int i = 0; i < shown; i++)
        {
            string token = tokens[i];
            bool special = token.Length > 2 && token[0] == '[' && token[^1] == ']';
            int segment = segments is not null && i < segments.Count ? segments[i] : 0;
            string border = segment == 0 ? Palette.Series(0) : Palette.Series(1);
            string style = $"display: inline-flex; flex-direction: column; align-items: center; padding: 1px 5px; border: 1px solid {border}; border-radius: 4px;"
                + (special ? " opacity: 0.6;" : "") + (token.StartsWith("##", StringComparison.Ordinal) ? " margin-left: -2px;" : "");
            html.Open("span", ("class", special ? "token special" : "token"), ("data-segment", Invariant.Integer(segment)),
                ("title", ids is null ? $"token {i}" : $"token {i}, id {Invariant.Integer(ids[i])}, segment {Invariant.Integer(segment)}"), ("style", style));
            html.Element("span", token, ("style", "font-family: ui-monospace, 'Cascadia Code', monospace;"));
            if (ids is not null) html.Element("span", Invariant.Integer(ids[i]), ("class", "token-id"), ("style", "font-size: 0.75em; opacity: 0.7;"));
            html.Close();
        }
        if (shown < tokens.Count)
            html.Element("span", $"… {Invariant.Count(tokens.Count - shown)} more", ("class", "dpbert-note"), ("data-dpbert-truncated", "true"), ("style", Palette.MutedText));
        html.Close();
    }
}
