using System.Diagnostics;
using System.Globalization;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>
/// Shows training progress on standard error: a live bar (step, loss, rate, throughput, ETA) redrawn in
/// place on a terminal, or one line every ten seconds when standard error is redirected; evaluations and
/// checkpoints always get a line of their own.
/// </summary>
internal sealed class TrainingProgressPrinter(TextWriter error) : IProgress<TrainingProgress>
{
    private readonly bool _live = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
    private readonly Stopwatch _sinceLastLine = Stopwatch.StartNew();
    private bool _barShown;

    public void Report(TrainingProgress p)
    {
        var c = CultureInfo.InvariantCulture;
        switch (p.Kind)
        {
            case TrainingEventKind.Step:
                string bar = Bar(p.Step, p.TotalSteps);
                string line = string.Create(c, $"{bar} step {p.Step}/{p.TotalSteps} | epoch {p.Epoch:F2} | loss {p.Loss:F4} | lr {p.LearningRate:E2} | {p.TokensPerSecond:N0} tok/s | ETA {Format(p.Remaining)}");
                if (p.Metrics is { } extra && extra.TryGetValue("gate_mean", out double gates))
                    line += string.Create(c, $" | gates {gates:F2} | tau {extra.GetValueOrDefault("temperature"):F2}");
                if (_live) { error.Write("\r" + line.PadRight(Console.BufferWidth > 0 ? Math.Min(Console.BufferWidth - 1, 160) : 120)); _barShown = true; }
                else if (_sinceLastLine.Elapsed.TotalSeconds >= 10 || p.Step == p.TotalSteps || p.Step == 1) { error.WriteLine(line); _sinceLastLine.Restart(); }
                break;
            case TrainingEventKind.Evaluation:
                EndBar();
                error.WriteLine(string.Create(c, $"eval at step {p.Step} (epoch {p.Epoch:F2}): {string.Join("  ", p.Metrics!.Select(kv => $"{kv.Key}={kv.Value:F4}"))}"));
                break;
            case TrainingEventKind.Checkpoint:
                EndBar();
                error.WriteLine($"saved {p.CheckpointPath}");
                break;
        }
    }

    public void EndBar()
    {
        if (_barShown) { error.WriteLine(); _barShown = false; }
    }

    private static string Bar(int done, int total)
    {
        const int width = 20;
        int filled = total == 0 ? width : (int)((long)done * width / total);
        return "[" + new string('#', filled) + new string('.', width - filled) + "]";
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}
