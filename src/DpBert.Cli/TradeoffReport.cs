using DpBert.Evaluation;
using DpBert.Interactive.Plotly;

namespace DpBert.Cli;

/// <summary><c>dpbert tradeoff --html</c>: the trade-off as a stand-alone page drawn by Plotly.NET, plotly.js inlined.</summary>
internal static class TradeoffReport
{
    /// <summary>Writes the page to <paramref name="path"/> (through a temporary file, so a failed write leaves no half page).</summary>
    public static void Write(string path, TradeoffResult tradeoff)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string page = PlotlyHtml.Page(PlotlyCharts.Tradeoff(tradeoff), $"{tradeoff.Task}: {tradeoff.MetricName} against latency");
        string temp = full + ".tmp";
        try
        {
            File.WriteAllText(temp, page);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
