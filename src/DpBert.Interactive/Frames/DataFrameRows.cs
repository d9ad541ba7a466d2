using Microsoft.Data.Analysis;

namespace DpBert.Interactive;

/// <summary>Row helpers for the frames a notebook shows.</summary>
public static class DataFrameRows
{
    /// <summary>
    /// The first <paramref name="count"/> rows, or the whole frame when it has no more (an empty frame stays empty).
    /// <see cref="DataFrame.Head"/> of Microsoft.Data.Analysis 0.23.1 throws when asked for more rows than there are,
    /// or for any row of an empty frame. Keep what a notebook shows at 25 rows or fewer: a longer frame is drawn one page
    /// at a time by a script, so it shows no rows where scripts do not run (GitHub).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static DataFrame Top(this DataFrame frame, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return count >= frame.Rows.Count ? frame : frame.Head(count);
    }
}
