using System.Diagnostics;
using DpBert.Training;

namespace DpBert.Interactive;

/// <summary>
/// Receives a trainer's progress events and hands a fresh <see cref="TrainingStatus"/> to
/// <c>onUpdate</c> at most every <c>interval</c> (and after every evaluation), for live charts in a notebook.
/// <see cref="Show"/> puts the status in a <see cref="LiveOutput"/> that is replaced in place:
/// <code>
/// var monitor = TrainingMonitor.Show();
/// trainer.Train(..., progress: monitor);
/// monitor.Complete();
/// </code>
/// Reports arrive on the training thread; the callback runs there too.
/// </summary>
public sealed class TrainingMonitor : IProgress<TrainingProgress>
{
    private readonly Action<TrainingStatus> _onUpdate;
    private readonly TimeSpan _interval;
    private readonly List<TrainingProgress> _events = [];
    private readonly Stopwatch _sinceUpdate = new();
    private readonly string? _metricName;
    private TrainingProgress? _latest;

    /// <summary>Calls <paramref name="onUpdate"/> at most every <paramref name="interval"/> (default one second).</summary>
    public TrainingMonitor(Action<TrainingStatus> onUpdate, TimeSpan? interval = null, string? metricName = null)
    {
        _onUpdate = onUpdate;
        _interval = interval ?? TimeSpan.FromSeconds(1);
        _metricName = metricName;
    }

    /// <summary>
    /// Shows an empty <see cref="TrainingStatus"/> as a <see cref="LiveOutput"/> and returns a monitor that replaces it
    /// as the run advances; <see cref="Complete"/> leaves the final state (curves, last metrics) in the output.
    /// </summary>
    public static TrainingMonitor Show(string? metricName = null, TimeSpan? interval = null)
    {
        var output = LiveOutput.Show(new TrainingStatus(null, TrainingCurves.FromProgress([], metricName)));
        return new TrainingMonitor(output.Update, interval, metricName);
    }

    /// <summary>Every event received so far.</summary>
    public IReadOnlyList<TrainingProgress> Events => _events;

    /// <summary>The run as it stands.</summary>
    public TrainingStatus Current(bool finished = false) => new(_latest, TrainingCurves.FromProgress(_events.ToArray(), _metricName), finished);

    /// <inheritdoc/>
    public void Report(TrainingProgress value)
    {
        _events.Add(value);
        if (value.Kind == TrainingEventKind.Step) _latest = value;
        if (value.Kind == TrainingEventKind.Evaluation || !_sinceUpdate.IsRunning || _sinceUpdate.Elapsed >= _interval)
        {
            _onUpdate(Current());
            _sinceUpdate.Restart();
        }
    }

    /// <summary>Sends the final status (the run has ended) and returns it.</summary>
    public TrainingStatus Complete()
    {
        var status = Current(finished: true);
        _onUpdate(status);
        return status;
    }
}
