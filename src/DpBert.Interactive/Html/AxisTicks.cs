namespace DpBert.Interactive.Html;

/// <summary>"Nice" axis ticks: steps of 1, 2 or 5 times a power of ten, about <c>count</c> of them over a range.</summary>
internal static class AxisTicks
{
    /// <summary>Tick values covering [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static IReadOnlyList<double> For(double min, double max, int count = 5)
    {
        if (!(max > min)) return [min];
        double step = Step(max - min, count);
        var ticks = new List<double>();
        for (double t = Math.Ceiling(min / step) * step; t <= max + step * 1e-9; t += step)
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        return ticks;
    }

    /// <summary>The tick spacing for a range: 1, 2 or 5 times a power of ten.</summary>
    public static double Step(double range, int count)
    {
        double raw = range / Math.Max(1, count);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double fraction = raw / magnitude;
        return magnitude * (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10);
    }

    /// <summary>Padded data range; a single value gets a small range around it.</summary>
    public static (double Min, double Max) Range(IEnumerable<double> values, double padFraction = 0.05)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (double.IsInfinity(min)) return (0, 1);
        if (max - min < 1e-12)
        {
            double half = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 0.5;
            return (min - half, max + half);
        }
        double pad = (max - min) * padFraction;
        return (min - pad, max + pad);
    }

    /// <summary>A tick label with just enough decimals for the tick spacing.</summary>
    public static string Label(double value, double step)
    {
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(step)), 0, 8);
        if (Math.Abs(value) >= 1e5 || (Math.Abs(value) > 0 && Math.Abs(value) < 1e-4)) return Invariant.Format(value, "0.##E+0");
        return Invariant.Format(value, "F" + decimals);
    }
}
