using System.Globalization;
using System.Text.Json;
using CsvHelper;
using DpBert.Training;

namespace DpBert.Evaluation;

/// <summary>Saves result records as JSON (the records as they are) and CSV (one flat row per record).</summary>
public static class ResultFiles
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,   // NaN correlations of constant plans
    };

    /// <summary>The CSV columns, in order.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } =
    [
        "method", "knob_name", "knob", "metric_name", "metric", "mean_layers", "batch1_mean_ms", "batch1_p50_ms", "batch1_p90_ms", "batch1_p99_ms",
        "batch1_inputs", "throughput_per_s", "throughput_batch_size", "speed_up", "throughput_speed_up", "relative_latency", "layer_usage", "depth_histogram",
        "distinct_plans", "plan_entropy_bits", "layers_vs_confidence", "layers_vs_length",
    ];

    /// <summary>Writes <paramref name="results"/> to <paramref name="path"/> as a JSON array, atomically.</summary>
    public static void SaveJson(string path, IEnumerable<MethodResult> results) => Write(path, JsonSerializer.Serialize(results.ToList(), Json));

    /// <summary>Writes a trade-off (points and Pareto front) as JSON, atomically.</summary>
    public static void SaveJson(string path, TradeoffResult tradeoff) => Write(path, JsonSerializer.Serialize(tradeoff, Json));

    /// <summary>Reads a JSON array written by <see cref="SaveJson(string, IEnumerable{MethodResult})"/>.</summary>
    /// <exception cref="InvalidDataException">Not such a file; the message names it.</exception>
    public static List<MethodResult> LoadJson(string path)
    {
        try { return JsonSerializer.Deserialize<List<MethodResult>>(File.ReadAllText(path), Json) ?? throw new InvalidDataException("null"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a result file: {e.Message}", e); }
    }

    /// <summary>Reads a trade-off written by <see cref="SaveJson(string, TradeoffResult)"/> (<c>dpbert tradeoff</c>'s <c>tradeoff.json</c>).</summary>
    /// <exception cref="InvalidDataException">Not such a file; the message names it.</exception>
    public static TradeoffResult LoadTradeoff(string path)
    {
        try
        {
            var tradeoff = JsonSerializer.Deserialize<TradeoffResult>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: null");
            if (tradeoff.Points is null || tradeoff.ParetoFront is null || tradeoff.Task is null) throw new InvalidDataException($"{path}: not a trade-off file: no task, points or pareto_front");
            return tradeoff;
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a trade-off file: {e.Message}", e); }
    }

    /// <summary>
    /// Writes <paramref name="results"/> to <paramref name="path"/> as CSV (RFC 4180 quoting by CsvHelper, invariant
    /// culture, ';' between the values of list cells), atomically.
    /// </summary>
    public static void SaveCsv(string path, IEnumerable<MethodResult> results)
    {
        var c = CultureInfo.InvariantCulture;
        using var text = new StringWriter(c) { NewLine = "\n" };
        using (var csv = CsvWriter.Create(text, new CsvWriterOptions { NewLine = "\n" }, leaveOpen: true))
        {
            foreach (string column in CsvColumns) csv.WriteField(column);
            csv.EndRecord();
            foreach (var r in results)
            {
                string[] cells =
                [
                    r.Method, r.KnobName, r.KnobValue?.ToString("R", c) ?? "", r.MetricName, r.Metric.ToString("R", c), r.MeanLayers.ToString("R", c),
                    r.Batch1.MeanMs.ToString("R", c), r.Batch1.P50Ms.ToString("R", c), r.Batch1.P90Ms.ToString("R", c), r.Batch1.P99Ms.ToString("R", c),
                    r.Batch1.Count.ToString(c), r.Throughput.ToString("R", c), r.ThroughputBatchSize.ToString(c), r.SpeedUp.ToString("R", c),
                    r.ThroughputSpeedUp.ToString("R", c), r.RelativeLatency.ToString("R", c),
                    string.Join(";", r.LayerUsage.Select(v => v.ToString("R", c))), string.Join(";", r.DepthHistogram.Select(v => v.ToString(c))),
                    r.Diversity?.DistinctPlans.ToString(c) ?? "", r.Diversity?.EntropyBits.ToString("R", c) ?? "",
                    r.Diversity?.LayersVsConfidence.ToString("R", c) ?? "", r.Diversity?.LayersVsLength.ToString("R", c) ?? "",
                ];
                foreach (string cell in cells) csv.WriteField(cell);
                csv.EndRecord();
            }
        }
        Write(path, text.ToString());
    }

    private static void Write(string path, string content)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, content);
        File.Move(temp, full, overwrite: true);
    }
}
