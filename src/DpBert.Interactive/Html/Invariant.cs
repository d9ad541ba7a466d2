using System.Globalization;

namespace DpBert.Interactive.Html;

/// <summary>
/// Numbers written the same way whatever the notebook kernel's culture: SVG coordinates need a '.' decimal
/// separator, and tables should read the same on every machine.
/// </summary>
internal static class Invariant
{
    /// <summary>A coordinate: at most two decimals.</summary>
    public static string Coordinate(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary><paramref name="value"/> with a .NET format string, invariant culture.</summary>
    public static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>An integer with thousands separators (1,234).</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>An integer without separators (vocabulary ids, layer numbers).</summary>
    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with one decimal (0.8123 is 81.2%).</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>A metric value: four significant decimals for values in [0, 1], else three.</summary>
    public static string Metric(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(Math.Abs(value) <= 1 ? "0.0000" : "0.000", CultureInfo.InvariantCulture);
}
