namespace DpBert.Interactive.Html;

/// <summary>Inline styles of the tables (inline so that they survive renderers that drop <c>&lt;style&gt;</c> blocks).</summary>
internal static class TableStyle
{
    /// <summary>The table element.</summary>
    public const string Table = "border-collapse: collapse; margin: 2px 0;";

    /// <summary>A header cell.</summary>
    public const string Header = "padding: 3px 8px; border-bottom: 1px solid currentColor; text-align: left; font-weight: 600; white-space: nowrap;";

    /// <summary>A header cell of a numeric column.</summary>
    public const string NumericHeader = "padding: 3px 8px; border-bottom: 1px solid currentColor; text-align: right; font-weight: 600; white-space: nowrap;";

    /// <summary>A text cell.</summary>
    public const string Cell = "padding: 3px 8px; text-align: left; border-bottom: 1px solid rgba(128, 128, 128, 0.25);";

    /// <summary>A numeric cell: right-aligned, tabular digits.</summary>
    public const string NumericCell = "padding: 3px 8px; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; border-bottom: 1px solid rgba(128, 128, 128, 0.25);";

    /// <summary><paramref name="text"/> cut to <paramref name="max"/> characters with an ellipsis.</summary>
    public static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
