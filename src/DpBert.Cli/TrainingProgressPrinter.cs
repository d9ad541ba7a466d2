using System.Diagnostics;
using System.Globalization;
using DpBert.Training;
using Spectre.Console;

namespace DpBert.Cli;

/// <summary>
/// Shows training progress on standard error: on a terminal a live Spectre.Console progress bar (step, loss, rate,
/// throughput, time left) with evaluations and checkpoints as lines above it; when standard error is redirected,
/// one line every ten seconds. Evaluations and checkpoints always get a line of their own.
/// </summary>
internal sealed class TrainingProgressPrinter(TextWriter error) : IProgress<TrainingProgress>
{
    private readonly LiveProgress? _live = LiveProgress.Start(error,
        new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn());
    private readonly Stopwatch _sinceLastLine = Stopwatch.StartNew();
    private ProgressTask? _task;

    public void Report(TrainingProgress p)
    {
        var c = CultureInfo.InvariantCulture;
        switch (p.Kind)
        {
            case TrainingEventKind.Step:
                string line = string.Create(c, $"step {p.Step}/{p.TotalSteps} | epoch {p.Epoch:F2} | loss {p.Loss:F4} | lr {p.LearningRate:0.00e+00} | {p.TokensPerSecond:N0} tok/s");
                if (p.Metrics is { } extra && extra.TryGetValue("gate_mean", out double gates))
                {
                    line += string.Create(c, $" | gates {gates:F2}");
                    if (extra.TryGetValue("temperature", out double tau)) line += string.Create(c, $" | tau {tau:F2}");
                    if (extra.TryGetValue("reward", out double reward)) line += string.Create(c, $" | reward {reward:F4}");
                }
                if (_live is not null)
                {
                    // Short, so the bar keeps its room on an 80-column terminal.
                    string live = string.Create(c, $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:0.0e+0}");
                    if (p.Metrics is { } g && g.TryGetValue("gate_mean", out double z)) live += string.Create(c, $" gates {z:F2}");
                    _task ??= _live.AddTask("training", p.TotalSteps);
                    _task.MaxValue = p.TotalSteps;
                    _task.Value = p.Step;
                    _task.Description = Markup.Escape(live);
                }
                else if (_sinceLastLine.Elapsed.TotalSeconds >= 10 || p.Step == p.TotalSteps || p.Step == 1)
                {
                    error.WriteLine(string.Create(c, $"{line} | ETA {Format(p.Remaining)}"));
                    _sinceLastLine.Restart();
                }
                break;
            case TrainingEventKind.Evaluation:
                Line(string.Create(c, $"eval at step {p.Step} (epoch {p.Epoch:F2}): {string.Join("  ", p.Metrics!.Select(kv => $"{kv.Key}={kv.Value:F4}"))}"));
                break;
            case TrainingEventKind.Checkpoint:
                Line($"saved {p.CheckpointPath}");
                break;
        }
    }

    /// <summary>Ends the live display (call once training is over, also after a failure).</summary>
    public void EndBar() => _live?.Stop();

    private void Line(string text)
    {
        if (_live is not null) _live.WriteLine(text);
        else error.WriteLine(text);
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}
