namespace DpBert.Tokenization;

/// <summary>Whitespace as Python's <c>str.isspace()</c>, <c>split()</c> and <c>strip()</c> see it.</summary>
internal static class PythonWhitespace
{
    /// <summary>.NET's whitespace plus U+001C..U+001F, which Python also counts (bidi class B/S).</summary>
    public static bool IsWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary>As <c>str.strip()</c>.</summary>
    public static ReadOnlySpan<char> Strip(ReadOnlySpan<char> text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsWhiteSpace(text[start])) start++;
        while (end > start && IsWhiteSpace(text[end - 1])) end--;
        return text[start..end];
    }

    /// <summary>As <c>str.split()</c> without arguments: the non-empty runs between whitespace.</summary>
    public static IEnumerable<string> Split(string text)
    {
        for (int start = 0; start < text.Length;)
        {
            if (IsWhiteSpace(text[start]))
            {
                start++;
                continue;
            }
            int end = start;
            while (end < text.Length && !IsWhiteSpace(text[end])) end++;
            yield return text[start..end];
            start = end;
        }
    }
}
