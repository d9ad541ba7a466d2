using System.Globalization;

namespace DpBert.Cli;

/// <summary>A count with its noun, singular for one: "1 step", "3,574 steps".</summary>
internal static class Counted
{
    /// <summary><paramref name="count"/> (thousands separated) and <paramref name="noun"/>, with an "s" unless the count is one.</summary>
    public static string Of(long count, string noun) => $"{count.ToString("N0", CultureInfo.InvariantCulture)} {noun}{(count == 1 ? "" : "s")}";
}
