using DpBert.Bert;
using DpBert.Evaluation;

namespace DpBert.Interactive.Html;

/// <summary>
/// One square per encoder layer, filled when the layer ran and dashed when it was bypassed; hovering shows the
/// planner's probability (an SVG <c>&lt;title&gt;</c>). Shared by the single path and the gallery.
/// </summary>
internal static class LayerCells
{
    /// <summary>Writes the cells of <paramref name="path"/> as one inline SVG.</summary>
    public static void Write(HtmlBuilder html, InputPath path, double cell, bool numbered)
    {
        var plan = path.Plan;
        double gap = Math.Max(2, cell / 8), width = plan.LayerCount * (cell + gap);
        html.Open("svg", ("xmlns", "http://www.w3.org/2000/svg"), ("width", Invariant.Coordinate(width)), ("height", Invariant.Coordinate(cell + 2)),
            ("viewBox", $"0 0 {Invariant.Coordinate(width)} {Invariant.Coordinate(cell + 2)}"), ("role", "img"),
            ("aria-label", $"{plan.ExecutedCount} of {plan.LayerCount} layers ran: {plan}"), ("data-plan", plan.ToString()), ("style", "vertical-align: middle; color: inherit;"));
        for (int layer = 0; layer < plan.LayerCount; layer++)
        {
            bool runs = plan.Runs(layer);
            string tooltip = Tooltip(layer, runs, layer < path.LayerProbabilities.Count ? path.LayerProbabilities[layer] : null);
            double x = layer * (cell + gap) + 1;
            html.Open("g", ("class", "layer-cell"), ("data-layer", Invariant.Integer(layer + 1)), ("data-state", runs ? "run" : "bypassed"));
            html.Element("title", tooltip);
            html.Empty("rect", ("x", Invariant.Coordinate(x)), ("y", "1"), ("width", Invariant.Coordinate(cell)), ("height", Invariant.Coordinate(cell)),
                ("rx", Invariant.Coordinate(cell / 6)), ("fill", runs ? Palette.Run : "none"), ("fill-opacity", runs ? "0.85" : null),
                ("stroke", runs ? Palette.Run : "currentColor"), ("stroke-opacity", runs ? null : "0.55"), ("stroke-dasharray", runs ? null : "3 2"));
            if (numbered)
                html.Element("text", Invariant.Integer(layer + 1), ("x", Invariant.Coordinate(x + cell / 2)), ("y", Invariant.Coordinate(cell / 2 + 5)),
                    ("text-anchor", "middle"), ("font-size", Invariant.Coordinate(Math.Min(12, cell / 2))),
                    ("fill", runs ? "#ffffff" : "currentColor"), ("fill-opacity", runs ? null : "0.6"));
            html.Close();
        }
        html.Close();
    }

    /// <summary>"layer 3: ran (planner p = 0.91)", "layer 4: bypassed (planner p = 0.12)", "layer 1: ran (always runs)".</summary>
    public static string Tooltip(int layer, bool runs, double? probability) =>
        $"layer {layer + 1}: {(runs ? "ran" : "bypassed")} ({(probability is { } p ? "planner p = " + Invariant.Format(p, "0.00") : "not decided by a planner")})";
}
