using Spectre.Console;

namespace DpBert.Cli;

/// <summary>A progress bar counting items on standard error (a Spectre.Console display, only when standard error is a terminal).</summary>
internal sealed class ProgressLine : IProgress<int>
{
    private readonly LiveProgress? _live;
    private readonly ProgressTask? _task;

    public ProgressLine(TextWriter error, int total, string verb)
    {
        if (total <= 0) return;
        _live = LiveProgress.Start(error, new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn());
        _task = _live?.AddTask(verb, total);
    }

    public void Report(int done)
    {
        if (_task is not null) _task.Value = done;
    }

    public void Finish() => _live?.Stop();
}
