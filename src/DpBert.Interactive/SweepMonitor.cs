using DpBert.Evaluation;

namespace DpBert.Interactive;

/// <summary>
/// Receives a trade-off sweep's progress (each point after each round, see <see cref="TradeoffSweep.Run"/>) and hands a
/// fresh <see cref="SweepStatus"/> to <c>onUpdate</c>; <see cref="Show"/> puts it in a <see cref="LiveOutput"/>:
/// <code>
/// var monitor = SweepMonitor.Show("sst2", "accuracy");
/// var tradeoff = TradeoffSweep.Run(..., progress: monitor);
/// monitor.Complete();
/// </code>
/// </summary>
public sealed class SweepMonitor : IProgress<(int Done, int Total, MethodResult Point)>
{
    private readonly Action<SweepStatus> _onUpdate;
    private readonly string _task;
    private readonly string _metricName;
    private readonly List<MethodResult> _points = [];
    private int _done;
    private int _total;

    /// <summary>Calls <paramref name="onUpdate"/> with the status after every point measured.</summary>
    public SweepMonitor(Action<SweepStatus> onUpdate, string task, string metricName)
    {
        _onUpdate = onUpdate;
        _task = task;
        _metricName = metricName;
    }

    /// <summary>Shows an empty <see cref="SweepStatus"/> as a <see cref="LiveOutput"/> and returns a monitor that replaces it.</summary>
    public static SweepMonitor Show(string task, string metricName)
    {
        var output = LiveOutput.Show(new SweepStatus(task, metricName, 0, 0, []));
        return new SweepMonitor(output.Update, task, metricName);
    }

    /// <summary>The sweep as it stands.</summary>
    public SweepStatus Current(bool finished = false) => new(_task, _metricName, _done, _total, _points.ToList(), finished);

    /// <inheritdoc/>
    public void Report((int Done, int Total, MethodResult Point) value)
    {
        (_done, _total) = (value.Done, value.Total);
        int existing = _points.FindIndex(p => p.Label == value.Point.Label);
        if (existing >= 0) _points[existing] = value.Point;
        else _points.Add(value.Point);
        _onUpdate(Current());
    }

    /// <summary>Sends the final status (the sweep has ended) and returns it.</summary>
    public SweepStatus Complete()
    {
        var status = Current(finished: true);
        _onUpdate(status);
        return status;
    }
}
