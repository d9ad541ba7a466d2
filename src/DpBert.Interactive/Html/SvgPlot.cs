namespace DpBert.Interactive.Html;

/// <summary>
/// A plot area in an inline SVG: linear scales from data to pixels, axes with ticks and titles, lines and
/// markers. Axes and labels use <c>currentColor</c>, so they follow the notebook theme.
/// </summary>
internal sealed class SvgPlot
{
    private const double Left = 58, Right = 14, Top = 14, Bottom = 42;
    private readonly double _width, _height;
    private readonly (double Min, double Max) _x, _y;

    /// <summary>A plot of <paramref name="width"/> x <paramref name="height"/> pixels over the given data ranges.</summary>
    public SvgPlot(double width, double height, (double Min, double Max) x, (double Min, double Max) y)
    {
        _width = width;
        _height = height;
        _x = x;
        _y = y;
    }

    /// <summary>Pixel column of data value <paramref name="x"/>.</summary>
    public double X(double x) => Left + (x - _x.Min) / (_x.Max - _x.Min) * (_width - Left - Right);

    /// <summary>Pixel row of data value <paramref name="y"/> (up is larger).</summary>
    public double Y(double y) => _height - Bottom - (y - _y.Min) / (_y.Max - _y.Min) * (_height - Top - Bottom);

    /// <summary>Opens the <c>&lt;svg&gt;</c> element; close it with <see cref="HtmlBuilder.Close"/>.</summary>
    public void Open(HtmlBuilder html, string label, string dataName) =>
        html.Open("svg", ("xmlns", "http://www.w3.org/2000/svg"), ("width", Invariant.Coordinate(_width)), ("height", Invariant.Coordinate(_height)),
            ("viewBox", $"0 0 {Invariant.Coordinate(_width)} {Invariant.Coordinate(_height)}"), ("role", "img"), ("aria-label", label),
            ("data-dpbert", dataName), ("style", "overflow: visible; color: inherit;"));

    /// <summary>Gridlines, tick labels and axis titles.</summary>
    public void WriteAxes(HtmlBuilder html, string xTitle, string yTitle)
    {
        html.Open("g", ("class", "axes"), ("fill", "currentColor"), ("font-size", "11"));
        double xStep = AxisTicks.Step(_x.Max - _x.Min, 5), yStep = AxisTicks.Step(_y.Max - _y.Min, 5);
        foreach (double t in AxisTicks.For(_x.Min, _x.Max))
        {
            string px = Invariant.Coordinate(X(t));
            html.Empty("line", ("x1", px), ("x2", px), ("y1", Invariant.Coordinate(Top)), ("y2", Invariant.Coordinate(_height - Bottom)),
                ("stroke", "currentColor"), ("stroke-opacity", Palette.GridOpacity));
            html.Element("text", AxisTicks.Label(t, xStep), ("x", px), ("y", Invariant.Coordinate(_height - Bottom + 15)), ("text-anchor", "middle"));
        }
        foreach (double t in AxisTicks.For(_y.Min, _y.Max))
        {
            string py = Invariant.Coordinate(Y(t));
            html.Empty("line", ("x1", Invariant.Coordinate(Left)), ("x2", Invariant.Coordinate(_width - Right)), ("y1", py), ("y2", py),
                ("stroke", "currentColor"), ("stroke-opacity", Palette.GridOpacity));
            html.Element("text", AxisTicks.Label(t, yStep), ("x", Invariant.Coordinate(Left - 6)), ("y", Invariant.Coordinate(Y(t) + 4)), ("text-anchor", "end"));
        }
        html.Empty("rect", ("x", Invariant.Coordinate(Left)), ("y", Invariant.Coordinate(Top)), ("width", Invariant.Coordinate(_width - Left - Right)),
            ("height", Invariant.Coordinate(_height - Top - Bottom)), ("fill", "none"), ("stroke", "currentColor"), ("stroke-opacity", "0.5"));
        html.Element("text", xTitle, ("x", Invariant.Coordinate((Left + _width - Right) / 2)), ("y", Invariant.Coordinate(_height - 6)), ("text-anchor", "middle"));
        double midY = (Top + _height - Bottom) / 2;
        html.Element("text", yTitle, ("x", "12"), ("y", Invariant.Coordinate(midY)), ("text-anchor", "middle"),
            ("transform", $"rotate(-90 12 {Invariant.Coordinate(midY)})"));
        html.Close();
    }

    /// <summary>A line through <paramref name="points"/> (data coordinates), in order.</summary>
    public void WriteLine(HtmlBuilder html, IEnumerable<(double X, double Y)> points, string color, double strokeWidth = 1.6,
        string? dash = null, string? opacity = null, string? dataName = null)
    {
        string coordinates = string.Join(" ", points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))
            .Select(p => Invariant.Coordinate(X(p.X)) + "," + Invariant.Coordinate(Y(p.Y))));
        if (coordinates.Length == 0) return;
        html.Empty("polyline", ("points", coordinates), ("fill", "none"), ("stroke", color), ("stroke-width", Invariant.Coordinate(strokeWidth)),
            ("stroke-dasharray", dash), ("stroke-opacity", opacity), ("stroke-linejoin", "round"), ("data-series", dataName));
    }

    /// <summary>A circle marker with a tooltip; <paramref name="attributes"/> are added to its group.</summary>
    public void WriteMarker(HtmlBuilder html, double x, double y, string color, string tooltip, double radius = 4,
        params (string Name, string? Value)[] attributes)
    {
        html.Open("g", attributes);
        html.Element("title", tooltip);
        html.Empty("circle", ("cx", Invariant.Coordinate(X(x))), ("cy", Invariant.Coordinate(Y(y))), ("r", Invariant.Coordinate(radius)),
            ("fill", color), ("stroke", "currentColor"), ("stroke-width", "0.6"));
        html.Close();
    }

    /// <summary>A hollow ring around a point, used to mark the Pareto front.</summary>
    public void WriteRing(HtmlBuilder html, double x, double y, string color, double radius = 8) =>
        html.Empty("circle", ("cx", Invariant.Coordinate(X(x))), ("cy", Invariant.Coordinate(Y(y))), ("r", Invariant.Coordinate(radius)),
            ("fill", "none"), ("stroke", color), ("stroke-width", "2"), ("class", "pareto-ring"));
}
