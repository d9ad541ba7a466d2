using System.Text.Json;
using DpBert.Interactive.Html;
using DpBert.Training;

namespace DpBert.Interactive;

/// <summary>
/// Three small charts of a training run against the optimizer step: the training loss (each step faded, a
/// moving average on top), the evaluation metric, and the learning rate. Long runs are averaged down to at
/// most <see cref="MaxPoints"/> points per line.
/// </summary>
/// <param name="Steps">Optimizer steps in order.</param>
/// <param name="Evaluations">Evaluations in order.</param>
/// <param name="MetricName">Metric to plot; by default the first of accuracy, matthews_correlation, pearson, f1 present (else the first non-loss metric).</param>
public sealed record TrainingCurves(IReadOnlyList<TrainingStepPoint> Steps, IReadOnlyList<TrainingEvaluationPoint> Evaluations, string? MetricName = null) : IHtmlView
{
    /// <summary>Points per drawn line at most.</summary>
    public const int MaxPoints = 400;
    private static readonly string[] PreferredMetrics = ["accuracy", "matthews_correlation", "pearson", "f1", "spearmanr"];

    /// <summary>Reads a <c>training_log.jsonl</c> (see <see cref="TrainingLog"/>).</summary>
    public static TrainingCurves FromLog(string path, string? metricName = null) => FromRecords(TrainingLog.Read(path), metricName);

    /// <summary>Builds the curves from training-log records: step rows carry <c>loss</c>, evaluation rows <c>eval_*</c>.</summary>
    public static TrainingCurves FromRecords(IEnumerable<IReadOnlyDictionary<string, JsonElement>> records, string? metricName = null)
    {
        var steps = new List<TrainingStepPoint>();
        var evaluations = new List<TrainingEvaluationPoint>();
        foreach (var r in records)
        {
            int step = r.TryGetValue("step", out var s) ? s.GetInt32() : 0;
            double epoch = r.TryGetValue("epoch", out var e) ? e.GetDouble() : 0;
            if (r.TryGetValue("loss", out var loss))
                steps.Add(new TrainingStepPoint(step, epoch, loss.GetDouble(), r.TryGetValue("learning_rate", out var lr) ? lr.GetDouble() : double.NaN));
            var metrics = r.Where(kv => kv.Key.StartsWith("eval_", StringComparison.Ordinal) && kv.Value.ValueKind == JsonValueKind.Number)
                .ToDictionary(kv => kv.Key["eval_".Length..], kv => kv.Value.GetDouble());
            if (metrics.Count > 0) evaluations.Add(new TrainingEvaluationPoint(step, epoch, metrics));
        }
        return new TrainingCurves(steps, evaluations, metricName);
    }

    /// <summary>Builds the curves from the progress events of a running trainer (for live charts).</summary>
    public static TrainingCurves FromProgress(IEnumerable<TrainingProgress> events, string? metricName = null)
    {
        var steps = new List<TrainingStepPoint>();
        var evaluations = new List<TrainingEvaluationPoint>();
        foreach (var e in events)
        {
            if (e.Kind == TrainingEventKind.Step) steps.Add(new TrainingStepPoint(e.Step, e.Epoch, e.Loss, e.LearningRate));
            else if (e.Kind == TrainingEventKind.Evaluation && e.Metrics is not null) evaluations.Add(new TrainingEvaluationPoint(e.Step, e.Epoch, e.Metrics));
        }
        return new TrainingCurves(steps, evaluations, metricName);
    }

    /// <summary>The metric drawn in the middle chart, or null when there is no evaluation.</summary>
    public string? PlottedMetric
    {
        get
        {
            if (MetricName is not null) return MetricName;
            var names = Evaluations.SelectMany(e => e.Metrics.Keys).Distinct().ToList();
            return PreferredMetrics.FirstOrDefault(names.Contains) ?? names.FirstOrDefault(n => n != "loss");
        }
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        ViewFrame.Open(html, "training-curves");
        html.Open("div", ("style", "display: flex; flex-wrap: wrap; gap: 12px;"));
        var loss = Downsample(Steps.Select(s => ((double)s.Step, s.Loss)).ToList());
        var smoothed = MovingAverage(Steps.Select(s => ((double)s.Step, s.Loss)).ToList());
        Panel(html, "training loss", "loss-chart", [(loss, Palette.Series(0), "0.35", false), (Downsample(smoothed), Palette.Series(0), null, false)]);
        string? metric = PlottedMetric;
        var metricPoints = metric is null ? [] : Evaluations.Where(e => e.Metrics.ContainsKey(metric)).Select(e => ((double)e.Step, e.Metrics[metric])).ToList();
        Panel(html, metric is null ? "evaluation metric" : "eval " + metric, "metric-chart", [(metricPoints, Palette.Series(2), null, true)]);
        Panel(html, "learning rate", "learning-rate-chart", [(Downsample(Steps.Select(s => ((double)s.Step, s.LearningRate)).ToList()), Palette.Series(1), null, false)]);
        html.Close();
        ViewFrame.Caption(html, $"{Invariant.Count(Steps.Count)} optimizer steps, {Invariant.Count(Evaluations.Count)} evaluations" +
            (metric is not null && metricPoints.Count > 0 ? $"; last {metric} {Invariant.Metric(metricPoints[^1].Item2)}, best {Invariant.Metric(metricPoints.Max(p => p.Item2))}." : "."));
        html.Close();
        return html.ToString();
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() =>
        $"TrainingCurves: {Steps.Count} steps" + (Steps.Count > 0 ? $", last loss {Invariant.Format(Steps[^1].Loss, "0.0000")}" : "") + $", {Evaluations.Count} evaluations";

    private static void Panel(HtmlBuilder html, string title, string dataName, IReadOnlyList<(List<(double X, double Y)> Points, string Color, string? Opacity, bool Markers)> lines)
    {
        var all = lines.SelectMany(l => l.Points).ToList();
        var plot = new SvgPlot(330, 210, AxisTicks.Range(all.Select(p => p.X), 0.02), AxisTicks.Range(all.Select(p => p.Y), 0.08));
        html.Open("div");
        html.Element("div", title, ("style", "font-weight: 600; text-align: center;"));
        plot.Open(html, title + " against optimizer step", dataName);
        plot.WriteAxes(html, "step", "");
        if (all.Count == 0)
            html.Element("text", "no data yet", ("x", "50%"), ("y", "45%"), ("text-anchor", "middle"), ("fill", "currentColor"), ("fill-opacity", "0.6"));
        foreach (var (points, color, opacity, markers) in lines)
        {
            plot.WriteLine(html, points, color, opacity is null ? 1.8 : 1, null, opacity);
            if (markers)
                foreach (var (x, y) in points) plot.WriteMarker(html, x, y, color, $"step {Invariant.Count((long)x)}: {Invariant.Metric(y)}", 3.5, ("class", "point"));
        }
        html.Close().Close();
    }

    /// <summary>Averages consecutive points into at most <see cref="MaxPoints"/> buckets.</summary>
    private static List<(double X, double Y)> Downsample(List<(double X, double Y)> points)
    {
        if (points.Count <= MaxPoints) return points;
        var result = new List<(double, double)>(MaxPoints);
        for (int b = 0; b < MaxPoints; b++)
        {
            int start = (int)((long)b * points.Count / MaxPoints), end = (int)((long)(b + 1) * points.Count / MaxPoints);
            var bucket = points.GetRange(start, end - start);
            result.Add((bucket.Average(p => p.X), bucket.Average(p => p.Y)));
        }
        return result;
    }

    /// <summary>Trailing mean over a window of about 5% of the run (at least 1 step).</summary>
    private static List<(double X, double Y)> MovingAverage(List<(double X, double Y)> points)
    {
        int window = Math.Max(1, points.Count / 20);
        var result = new List<(double, double)>(points.Count);
        double sum = 0;
        for (int i = 0; i < points.Count; i++)
        {
            sum += points[i].Y;
            if (i >= window) sum -= points[i - window].Y;
            result.Add((points[i].X, sum / Math.Min(i + 1, window)));
        }
        return result;
    }
}
