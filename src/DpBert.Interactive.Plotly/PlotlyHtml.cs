using System.Net;
using System.Text;
using Plotly.NET;
using Microsoft.FSharp.Core;

namespace DpBert.Interactive.Plotly;

/// <summary>
/// Plotly.NET charts as HTML that draws offline: plotly.js comes from Plotly.NET's own assembly (an embedded copy), never
/// from a CDN. <see cref="Render"/> is what notebooks call (through <see cref="InteractiveChart"/>); <see cref="Page"/>
/// writes a stand-alone report.
/// </summary>
public static class PlotlyHtml
{
    private static int _libraryWritten;

    /// <summary>
    /// The HTML fragment of <paramref name="chart"/>: a frame named after the chart (<c>data-dpbert="plotly-tradeoff"</c>,
    /// ...), a note for renderers that do not run scripts (removed once the chart draws), and the chart. The first
    /// fragment of the process carries plotly.js inline; later ones use the copy that page has already loaded.
    /// </summary>
    public static string Render(InteractiveChart chart)
    {
        var plot = chart.Source switch
        {
            TradeoffChart t => PlotlyCharts.Tradeoff(t.Result),
            TrainingCurves c => PlotlyCharts.TrainingCurves(c),
            LayerUsageHeatmap h => PlotlyCharts.LayerUsage(h),
            var other => throw new NotSupportedException($"no interactive chart for {other.GetType().Name}"),
        };
        bool withLibrary = Interlocked.Exchange(ref _libraryWritten, 1) == 0;
        return Fragment(plot, chart.ViewName, withLibrary);
    }

    /// <summary>The chart as a fragment (see <see cref="Render"/>), with or without plotly.js inline.</summary>
    public static string Fragment(GenericChart chart, string viewName, bool withLibrary)
    {
        string body = GenericChart.toChartHTML(chart.WithDisplayOptions(PlotlyJSReference.NoReference));
        string id = "dpbert-" + Guid.NewGuid().ToString("N");
        var html = new StringBuilder();
        html.Append($"<div class=\"dpbert dpbert-{viewName}\" data-dpbert=\"{WebUtility.HtmlEncode(viewName)}\" id=\"{id}\">");
        html.Append("<div class=\"dpbert-script-note\" style=\"font-family: sans-serif; opacity: 0.7;\">Interactive Plotly chart: it draws where the page runs " +
            "scripts (Jupyter, VS Code, a browser); the static chart shows the same data.</div>");
        if (withLibrary) html.Append(LibraryScript.Value);
        html.Append(body);
        html.Append($"<script type=\"text/javascript\">(function () {{ var frame = document.getElementById('{id}'); " +
            "if (frame && window.Plotly) { var note = frame.querySelector('.dpbert-script-note'); if (note) note.remove(); } })();</script></div>");
        return html.ToString();
    }

    /// <summary>
    /// plotly.js as an inline script, read from the copy Plotly.NET embeds (plotly-&lt;version&gt;.min.js). Its UMD header
    /// would register with require.js where a page has it (classic Jupyter) instead of setting <c>window.Plotly</c>, so
    /// it runs with <c>define</c>, <c>module</c> and <c>exports</c> hidden.
    /// </summary>
    private static readonly Lazy<string> LibraryScript = new(() =>
    {
        var assembly = typeof(GenericChart).Assembly;
        string name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{assembly.FullName} embeds no plotly-*.min.js");
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        string js = reader.ReadToEnd();
        if (js.Contains("</script", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException($"{name} contains </script and cannot be inlined");
        return "<script type=\"text/javascript\">(function () { var define, module, exports;\n" + js + "\n}).call(window);</script>";
    });

    /// <summary>A stand-alone HTML page holding <paramref name="chart"/> with plotly.js inline (for <c>dpbert tradeoff --html</c>).</summary>
    public static string Page(GenericChart chart, string title) =>
        GenericChart.toEmbeddedHTML(chart.WithDisplayOptions(PlotlyJSReference.Full, title));

    private static GenericChart WithDisplayOptions(this GenericChart chart, PlotlyJSReference reference, string? title = null) =>
        GenericChart.addDisplayOptions(DisplayOptions.init(
            DocumentTitle: title is null ? null : FSharpOption<string>.Some(title), DocumentCharset: null, DocumentDescription: null,
            DocumentFavicon: null, AdditionalHeadTags: null, ChartDescription: null,
            PlotlyJSReference: FSharpOption<PlotlyJSReference>.Some(reference)), chart);
}
