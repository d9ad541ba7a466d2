namespace DpBert.Interactive.Html;

/// <summary>
/// Colours that read on both light and dark notebook themes: text and axes use <c>currentColor</c> (the
/// theme's own text colour); data use mid-tone hues and translucent fills, never black or white.
/// </summary>
internal static class Palette
{
    /// <summary>A layer that ran.</summary>
    public const string Run = "#2e9e5b";

    /// <summary>Highlight behind the best row of a table, translucent so the theme shows through.</summary>
    public const string Highlight = "rgba(46, 158, 91, 0.18)";

    /// <summary>The Pareto front: the theme's text colour, so it never shares a hue with a method's series.</summary>
    public const string Front = "currentColor";

    /// <summary>Gridlines and secondary strokes: the text colour, faded.</summary>
    public const string GridOpacity = "0.18";

    private static readonly string[] SeriesColors = ["#3b82f6", "#e8590c", "#2e9e5b", "#c2255c", "#7950f2", "#d4a106", "#0c8599", "#868e96"];

    /// <summary>Colour of the series at <paramref name="index"/>.</summary>
    public static string Series(int index) => SeriesColors[index % SeriesColors.Length];

    /// <summary>Style of a small heading or note: the theme's text colour, slightly faded.</summary>
    public const string MutedText = "opacity: 0.75; font-size: 0.9em;";

    /// <summary>Font stack shared by every view.</summary>
    public const string Font = "font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; font-size: 13px;";
}
