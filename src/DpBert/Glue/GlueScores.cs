using System.Collections;
using System.Globalization;

namespace DpBert.Glue;

/// <summary>
/// The metrics of one evaluation, by name in the task's order (<c>accuracy</c>, <c>f1</c>, ...), plus
/// <c>combined_score</c> when the task has more than one, as Hugging Face's <c>run_glue</c> reports them.
/// <see cref="MainScore"/> is the single number the GLUE leaderboard uses for the task.
/// </summary>
public sealed class GlueScores : IReadOnlyDictionary<string, double>
{
    private readonly KeyValuePair<string, double>[] _metrics;

    internal GlueScores(string taskName, string? splitName, IReadOnlyList<KeyValuePair<string, double>> metrics)
    {
        if (metrics.Count == 0) throw new ArgumentException("at least one metric is needed", nameof(metrics));
        TaskName = taskName;
        SplitName = splitName;
        _metrics = metrics.Count == 1
            ? [metrics[0]]
            : [.. metrics, new(GlueMetricNames.CombinedScore, metrics.Average(m => m.Value))];
        MainMetricName = _metrics[^1].Key;
    }

    /// <summary>The task's canonical name, e.g. <c>mrpc</c>.</summary>
    public string TaskName { get; }

    /// <summary>The split the predictions were for (e.g. <c>dev_mismatched</c>), or null when not known.</summary>
    public string? SplitName { get; }

    /// <summary>The metric that ranks models on the task: the only metric, or <c>combined_score</c> when there are several.</summary>
    public string MainMetricName { get; }

    /// <summary>The value of <see cref="MainMetricName"/>.</summary>
    public double MainScore => _metrics[^1].Value;

    /// <summary>Number of metrics, <c>combined_score</c> included.</summary>
    public int Count => _metrics.Length;

    /// <summary>The value of metric <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The task does not report that metric; the message lists the ones it does.</exception>
    public double this[string key] => TryGetValue(key, out double value)
        ? value
        : throw new KeyNotFoundException($"{TaskName} reports no metric '{key}'; it reports {string.Join(", ", Keys)}");

    /// <summary>Metric names in report order.</summary>
    public IEnumerable<string> Keys => _metrics.Select(m => m.Key);

    /// <summary>Metric values in report order.</summary>
    public IEnumerable<double> Values => _metrics.Select(m => m.Value);

    /// <summary>Whether the task reports metric <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary>Looks up metric <paramref name="key"/> (names are case-sensitive, as Hugging Face spells them).</summary>
    public bool TryGetValue(string key, out double value)
    {
        foreach (var (name, metricValue) in _metrics)
        {
            if (name == key) { value = metricValue; return true; }
        }
        value = 0;
        return false;
    }

    /// <summary>The metrics in report order.</summary>
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, double>>)_metrics).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One line for a log, e.g. <c>mrpc dev: accuracy=0.8456 f1=0.8912 combined_score=0.8684</c>.</summary>
    public override string ToString()
    {
        string where = SplitName is null ? TaskName : $"{TaskName} {SplitName}";
        return $"{where}: " + string.Join(" ", _metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}={m.Value:0.0000}")));
    }
}
