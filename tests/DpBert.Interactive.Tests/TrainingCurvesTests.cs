using DpBert.Training;

namespace DpBert.Interactive.Tests;

public class TrainingCurvesTests
{
    [Fact]
    public void Reads_steps_and_evaluations_from_a_training_log()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dpbert-curves-{Guid.NewGuid():N}.jsonl");
        try
        {
            using (var log = new TrainingLog(path))
            {
                for (int s = 1; s <= 10; s++) log.Step(s, s / 10.0, 1.0 / s, 1e-3 * (10 - s) / 10, 0.5);
                log.Evaluation(5, 0.5, new Dictionary<string, double> { ["loss"] = 0.6, ["accuracy"] = 0.71 });
                log.Evaluation(10, 1.0, new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = 0.78 });
            }
            var curves = TrainingCurves.FromLog(path);
            Assert.Equal(10, curves.Steps.Count);
            Assert.Equal(0.25, curves.Steps[3].Loss);
            Assert.Equal(2, curves.Evaluations.Count);
            Assert.Equal("accuracy", curves.PlottedMetric);
            var root = Xhtml.Parse(curves.ToHtml());
            Assert.Equal(["loss-chart", "metric-chart", "learning-rate-chart"], root.All("svg").Select(s => s.Attr("data-dpbert")).Where(d => d is not null));
            var metricChart = root.All("svg").Single(s => s.Attr("data-dpbert") == "metric-chart");
            Assert.Equal(["step 5: 0.7100", "step 10: 0.7800"], metricChart.All("title").Select(t => t.Value));
            Assert.Contains("last accuracy 0.7800, best 0.7800", root.Value);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Long_runs_are_averaged_down_to_a_bounded_number_of_points()
    {
        var steps = Enumerable.Range(1, 20_000).Select(s => new TrainingStepPoint(s, s / 20_000.0, 2.0 - s / 20_000.0, 1e-4)).ToList();
        string html = new TrainingCurves(steps, []).ToHtml();
        Assert.True(html.Length < 120_000, $"{html.Length} characters");
        var lines = Xhtml.Parse(html).All("polyline").ToList();
        Assert.All(lines, l => Assert.True(l.Attr("points")!.Split(' ').Length <= TrainingCurves.MaxPoints));
    }

    [Fact]
    public void Live_progress_events_become_curves_and_a_progress_bar()
    {
        var updates = new List<TrainingStatus>();
        var monitor = new TrainingMonitor(updates.Add, TimeSpan.FromHours(1));
        TrainingProgress Step(int s) => new(TrainingEventKind.Step, s, 4, s / 4.0, 1.0 / s, 1e-3, 1, 100, 1000, TimeSpan.FromSeconds(s), TimeSpan.FromSeconds(4 - s));
        monitor.Report(Step(1));
        monitor.Report(Step(2));
        monitor.Report(new TrainingProgress(TrainingEventKind.Evaluation, 2, 4, 0.5, double.NaN, double.NaN, double.NaN, 0, 0, TimeSpan.FromSeconds(2), TimeSpan.Zero,
            new Dictionary<string, double> { ["accuracy"] = 0.7 }));
        monitor.Report(Step(3));
        var final = monitor.Complete();
        Assert.Equal(3, updates.Count); // first step, the evaluation, completion (the interval suppresses the rest)
        Assert.Equal(3, final.Curves.Steps.Count);
        Assert.Single(final.Curves.Evaluations);
        var root = Xhtml.Parse(final.ToHtml());
        Assert.Equal("0.75", root.All("div").Single(d => d.Attr("class") == "progress").Attr("data-fraction"));
        Assert.StartsWith("step 3/4 (75.0%)", final.Summary());
        Assert.Contains(root.All("div"), d => d.Attr("data-dpbert") == "training-curves");
    }
}
