using System.Globalization;
using DpBert.Evaluation;

namespace DpBert.Cli;

/// <summary>Prints result records as a Markdown table (latencies in ms, throughput in inputs/s).</summary>
internal static class ResultTable
{
    public static void Write(TextWriter output, IEnumerable<MethodResult> results, IReadOnlyCollection<MethodResult>? marked = null)
    {
        var c = CultureInfo.InvariantCulture;
        var list = results.ToList();
        if (list.Count == 0) return;
        string metric = list[0].MetricName;
        output.WriteLine($"| method             | {metric,10} | layers | b1 mean ms | b1 p50 ms | b1 p90 ms | b1 p99 ms | rel. latency | b{list[0].ThroughputBatchSize} inputs/s | b1 speed-up | b{list[0].ThroughputBatchSize} speed-up |{(marked is null ? "" : " pareto |")}");
        output.WriteLine($"|--------------------|-{new string('-', Math.Max(10, metric.Length))}-|--------|------------|-----------|-----------|-----------|--------------|{new string('-', 13 + list[0].ThroughputBatchSize.ToString(c).Length)}|-------------|{new string('-', 11 + list[0].ThroughputBatchSize.ToString(c).Length)}|{(marked is null ? "" : "--------|")}");
        foreach (var r in list)
        {
            output.WriteLine(string.Create(c,
                $"| {r.Label,-18} | {r.Metric.ToString("F4", c).PadLeft(Math.Max(10, metric.Length))} | {r.MeanLayers,6:F2} | {r.Batch1.MeanMs,10:F3} | {r.Batch1.P50Ms,9:F3} | {r.Batch1.P90Ms,9:F3} | {r.Batch1.P99Ms,9:F3} | {r.RelativeLatency,11:P1} | {r.Throughput.ToString("F1", c).PadLeft(11 + r.ThroughputBatchSize.ToString(c).Length)} | {r.SpeedUp,10:F2}x | {r.ThroughputSpeedUp.ToString("F2", c).PadLeft(9 + r.ThroughputBatchSize.ToString(c).Length)}x |{(marked is null ? "" : marked.Contains(r) ? "   *    |" : "        |")}"));
        }
    }
}
