using DpBert.Interactive.Html;
using DpBert.Training;

namespace DpBert.Interactive;

/// <summary>
/// A training run as it stands: a progress bar with step, epoch, loss, throughput and time left, and the
/// curves so far. <see cref="TrainingMonitor"/> produces a new one as the run advances.
/// </summary>
/// <param name="Latest">The most recent step event (null before the first step).</param>
/// <param name="Curves">Curves of the run so far.</param>
/// <param name="Finished">True once the run has ended.</param>
public sealed record TrainingStatus(TrainingProgress? Latest, TrainingCurves Curves, bool Finished = false) : IHtmlView
{
    /// <inheritdoc/>
    public string ToHtml()
    {
        var html = new HtmlBuilder();
        ViewFrame.Open(html, "training-status");
        ProgressBar.Write(html, Latest is null || Latest.TotalSteps == 0 ? 0 : (double)Latest.Step / Latest.TotalSteps, State);
        ProgressBar.Caption(html, Summary());
        // The curves are their own view; nesting their markup keeps one display handle for both.
        html.View(Curves);
        html.Close();
        return html.ToString();
    }

    /// <summary><c>waiting</c> before the first step, <c>running</c>, then <c>finished</c> (the <c>data-state</c> of the HTML).</summary>
    public string State => Finished ? "finished" : Latest is null ? "waiting" : "running";

    /// <summary>One line: <c>step 120/500 (24%) · epoch 0.48 · loss 0.5213 · lr 4.1e-04 · 312 examples/s · 00:42 left</c>.</summary>
    public string Summary()
    {
        if (Latest is null) return Finished ? "finished" : "starting…";
        var p = Latest;
        string text = $"step {Invariant.Count(p.Step)}/{Invariant.Count(p.TotalSteps)} ({Invariant.Percent(p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps)}) · epoch {Invariant.Format(p.Epoch, "0.00")}";
        if (double.IsFinite(p.Loss)) text += $" · loss {Invariant.Format(p.Loss, "0.0000")}";
        if (double.IsFinite(p.LearningRate)) text += $" · lr {Invariant.Format(p.LearningRate, "0.0e+00")}";
        text += $" · {Invariant.Format(p.ExamplesPerSecond, "N0")} examples/s · {p.Elapsed:mm\\:ss} elapsed";
        return text + (Finished ? " · finished" : $" · {p.Remaining:mm\\:ss} left");
    }

    /// <summary>Plain-text summary.</summary>
    public override string ToString() => Summary();
}
