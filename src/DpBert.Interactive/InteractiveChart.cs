using System.Reflection;

namespace DpBert.Interactive;

/// <summary>
/// The interactive Plotly version of a static chart (<see cref="TradeoffChart"/>, <see cref="TrainingCurves"/> or
/// <see cref="LayerUsageHeatmap"/>): hover for every value, zoom, pan, hide series. The HTML inlines plotly.js (the
/// first chart of a process carries the library, later ones reuse it), so it draws offline; where scripts do not run
/// (GitHub, nbviewer) it shows a note instead, which is why the notebooks keep the static views as well.
/// <para>
/// The chart is built with Plotly.NET by <c>DpBert.Interactive.Plotly</c>. In a notebook, the package's kernel
/// extension sets <see cref="Renderer"/> to a copy of it loaded in its own load context (the kernel's FSharp.Core
/// is older than Plotly.NET's); in an application that references <c>DpBert.Interactive.Plotly</c> it is found
/// directly.
/// </para>
/// </summary>
/// <param name="Source">The static view whose data the chart shows.</param>
public sealed record InteractiveChart(IHtmlView Source) : IHtmlView
{
    private const string CompanionType = "DpBert.Interactive.Plotly.PlotlyHtml, DpBert.Interactive.Plotly";

    /// <summary>Turns a chart into its HTML fragment. Set by the kernel extension; null elsewhere.</summary>
    public static Func<InteractiveChart, string>? Renderer { get; set; }

    /// <summary>The view names the page of an executed notebook carries for each kind of source (<c>data-dpbert</c>).</summary>
    public string ViewName => Source switch
    {
        TradeoffChart => "plotly-tradeoff",
        TrainingCurves => "plotly-training-curves",
        LayerUsageHeatmap => "plotly-layer-usage",
        _ => throw new NotSupportedException($"no interactive chart for {Source.GetType().Name}; supported: TradeoffChart, TrainingCurves, LayerUsageHeatmap"),
    };

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Neither the kernel extension nor DpBert.Interactive.Plotly is loaded.</exception>
    public string ToHtml()
    {
        _ = ViewName;
        if (Renderer is { } render) return render(this);
        var companion = Type.GetType(CompanionType, throwOnError: false)
            ?? throw new InvalidOperationException("Interactive charts are drawn by DpBert.Interactive.Plotly: in a notebook, load the package with " +
                "#r \"nuget: DpBert.Interactive\" (its kernel extension loads the charts); in an application, reference the DpBert.Interactive.Plotly package.");
        var method = companion.GetMethod("Render", BindingFlags.Public | BindingFlags.Static, [typeof(InteractiveChart)])
            ?? throw new InvalidOperationException($"{companion.AssemblyQualifiedName} has no Render(InteractiveChart) method");
        return (string)method.Invoke(null, [this])!;
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => $"InteractiveChart: {Source}";
}
