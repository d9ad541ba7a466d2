using System.Text.Json;
using DpBert.Training;
using Microsoft.Data.Analysis;

namespace DpBert.Interactive;

/// <summary>
/// Training runs as <see cref="DataFrame"/>s: a <c>training_log.jsonl</c> (one row per line, a column per key), or the
/// progress events a <see cref="TrainingMonitor"/> received.
/// </summary>
public static class TrainingFrames
{
    /// <summary>
    /// Reads a <c>training_log.jsonl</c> (see <see cref="TrainingLog"/>): one row per line; every key becomes a column
    /// (numbers as doubles, anything else as text), null where a line lacks it: step rows have <c>loss</c>,
    /// <c>learning_rate</c>, <c>grad_norm</c>, evaluation rows <c>eval_*</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static DataFrame FromLog(string path)
    {
        var records = TrainingLog.Read(path);
        var keys = records.SelectMany(r => r.Keys).Distinct().ToList();
        var columns = new List<DataFrameColumn>();
        foreach (string key in keys)
        {
            bool numeric = records.All(r => !r.TryGetValue(key, out var v) || v.ValueKind is JsonValueKind.Number or JsonValueKind.Null);
            columns.Add(numeric
                ? new DoubleDataFrameColumn(key, records.Select(r => r.TryGetValue(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : (double?)null))
                : new StringDataFrameColumn(key, records.Select(r => r.TryGetValue(key, out var v) ? v.ToString() : null)));
        }
        return new DataFrame(columns);
    }

    /// <summary>
    /// One row per progress event: <c>kind</c> (step, evaluation, checkpoint), <c>step</c>, <c>epoch</c>, <c>loss</c>,
    /// <c>learning_rate</c>, <c>grad_norm</c>, <c>examples_per_s</c>, <c>elapsed_s</c>, then one <c>eval_&lt;name&gt;</c>
    /// column per evaluation metric (null on other rows).
    /// </summary>
    public static DataFrame ToDataFrame(this IEnumerable<TrainingProgress> events)
    {
        var rows = events.ToList();
        double? StepValue(TrainingProgress e, double value) => e.Kind == TrainingEventKind.Step ? value : null;
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("kind", rows.Select(e => e.Kind.ToString().ToLowerInvariant())),
            new Int32DataFrameColumn("step", rows.Select(e => e.Step)),
            new DoubleDataFrameColumn("epoch", rows.Select(e => e.Epoch)),
            new DoubleDataFrameColumn("loss", rows.Select(e => StepValue(e, e.Loss))),
            new DoubleDataFrameColumn("learning_rate", rows.Select(e => StepValue(e, e.LearningRate))),
            new DoubleDataFrameColumn("grad_norm", rows.Select(e => StepValue(e, e.GradNorm))),
            new DoubleDataFrameColumn("examples_per_s", rows.Select(e => StepValue(e, e.ExamplesPerSecond))),
            new DoubleDataFrameColumn("elapsed_s", rows.Select(e => e.Elapsed.TotalSeconds)),
        };
        foreach (string name in rows.Where(e => e.Metrics is not null).SelectMany(e => e.Metrics!.Keys).Distinct().Order(StringComparer.Ordinal))
            columns.Add(new DoubleDataFrameColumn("eval_" + name, rows.Select(e => e.Metrics is not null && e.Metrics.TryGetValue(name, out double v) ? v : (double?)null)));
        return new DataFrame(columns);
    }
}
