using System.Globalization;
using DpBert.Evaluation;
using Spectre.Console;

namespace DpBert.Cli;

/// <summary>Prints result records as a Markdown table (latencies in ms, throughput in inputs/s), drawn by Spectre.Console.</summary>
internal static class ResultTable
{
    public static void Write(TextWriter output, IEnumerable<MethodResult> results, IReadOnlyCollection<MethodResult>? marked = null)
    {
        var c = CultureInfo.InvariantCulture;
        var list = results.ToList();
        if (list.Count == 0) return;
        int b = list[0].ThroughputBatchSize;
        var table = new Table().Border(TableBorder.Markdown);
        table.AddColumn("method");
        foreach (string header in new[] { list[0].MetricName, "layers", "b1 mean ms", "b1 p50 ms", "b1 p90 ms", "b1 p99 ms", "rel. latency", $"b{b} inputs/s", "b1 speed-up", $"b{b} speed-up", "plans", "plan entropy" })
            table.AddColumn(new TableColumn(Markup.Escape(header)).RightAligned());
        if (marked is not null) table.AddColumn(new TableColumn("pareto").Centered());
        foreach (var r in list)
        {
            var cells = new List<string>
            {
                r.Label, r.Metric.ToString("F4", c), r.MeanLayers.ToString("F2", c), r.Batch1.MeanMs.ToString("F3", c), r.Batch1.P50Ms.ToString("F3", c),
                r.Batch1.P90Ms.ToString("F3", c), r.Batch1.P99Ms.ToString("F3", c), r.RelativeLatency.ToString("P1", c), r.Throughput.ToString("F1", c),
                r.SpeedUp.ToString("F2", c) + "x", r.ThroughputSpeedUp.ToString("F2", c) + "x",
                r.Diversity?.DistinctPlans.ToString(c) ?? "", r.Diversity?.EntropyBits.ToString("F2", c) ?? "",
            };
            if (marked is not null) cells.Add(marked.Contains(r) ? "*" : "");
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        CliConsole.For(output).Write(table);
    }
}
