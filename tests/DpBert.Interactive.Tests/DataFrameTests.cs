using DpBert.Evaluation;
using DpBert.Planning;
using DpBert.Training;
using Microsoft.Data.Analysis;

namespace DpBert.Interactive.Tests;

/// <summary>The DataFrame conversions, checked against values worked out by hand from small records.</summary>
public class DataFrameTests
{
    [Fact]
    public void Tradeoff_frame_has_one_row_per_point_with_latency_columns_and_the_pareto_flag()
    {
        // Faster is better, higher is better: 6 ms at 0.89 and 10 ms at 0.90 are on the front; 8 ms at 0.85 is beaten by 6 ms.
        var full = Samples.Method("full", null, 0.90, 10, 1);
        var fast = Samples.Method("dpbert", 0.5, 0.89, 6, 1.67);
        var beaten = Samples.Method("dpbert", 0.7, 0.85, 8, 1.25);
        var frame = new TradeoffResult("sst2", "accuracy", [full, fast, beaten], ParetoFront.Of([full, fast, beaten])).ToDataFrame();

        Assert.Equal(3, frame.Rows.Count);
        Assert.Equal(["sst2", "sst2", "sst2"], Strings(frame, "task"));
        Assert.Equal(["full", "dpbert", "dpbert"], Strings(frame, "method"));
        Assert.Equal([null, 0.5, 0.7], Doubles(frame, "knob"));
        Assert.Equal(["full", "dpbert theta=0.5", "dpbert theta=0.7"], Strings(frame, "label"));
        Assert.Equal([true, true, false], frame["pareto"].Cast<bool?>().Select(b => b!.Value));
        Assert.Equal([10, 6, 8], Doubles(frame, "batch1_mean_ms"));
        Assert.Equal([15, 9, 12], Doubles(frame, "batch1_p99_ms"));   // Samples: p99 = 1.5 x mean
        Assert.Equal([0.90, 0.89, 0.85], Doubles(frame, "metric_accuracy"));
    }

    [Fact]
    public void Several_sweeps_share_one_frame_with_every_metric_column()
    {
        var sst2 = new TradeoffResult("sst2", "accuracy", [Samples.Method("full", null, 0.9, 10, 1)], []);
        var mrpcPoint = Samples.Method("full", null, 0.75, 20, 1) with { MetricName = "acc_and_f1", Metrics = new Dictionary<string, double> { ["f1"] = 0.81, ["accuracy"] = 0.68 } };
        var frame = new[] { sst2, new TradeoffResult("mrpc", "acc_and_f1", [mrpcPoint], [mrpcPoint]) }.ToDataFrame();
        Assert.Equal(["sst2", "mrpc"], Strings(frame, "task"));
        Assert.Equal([null, 0.81], Doubles(frame, "metric_f1"));
        Assert.Equal([false, true], frame["pareto"].Cast<bool?>().Select(b => b!.Value));
    }

    [Fact]
    public void Layer_usage_of_results_is_one_column_per_layer()
    {
        var frame = new[] { Samples.Method("dpbert", 0.5, 0.89, 6, 1.67) }.ToLayerUsageDataFrame();
        Assert.Equal(["method", "knob", "mean_layers", "layer_1", "layer_2", "layer_3", "layer_4"], frame.Columns.Select(c => c.Name));
        Assert.Equal([1, 1, 0.5, 0.5], Enumerable.Range(1, 4).Select(l => (double)frame[$"layer_{l}"][0]!));
    }

    [Fact]
    public void Path_frame_spells_out_plan_correctness_probabilities_and_latency()
    {
        var right = Samples.Path("1101", "positive", probabilities: [null, 0.9, 0.2, 0.8]) with { GoldLabel = "positive", Latency = TimeSpan.FromMilliseconds(1.5) };
        var wrong = Samples.Path("1111", "negative") with { GoldLabel = "positive" };
        var unknown = Samples.Path("1001", "negative");
        var frame = new[] { right, wrong, unknown }.ToDataFrame();

        Assert.Equal([0, 1, 2], frame["input"].Cast<int?>().Select(i => i!.Value));
        Assert.Equal(["1101", "1111", "1001"], Strings(frame, "plan"));
        Assert.Equal([3, 4, 2], frame["layers_run"].Cast<int?>().Select(i => i!.Value));
        Assert.Equal([1, 0, null], Doubles(frame, "correct"));
        Assert.Equal([1.5, null, null], Doubles(frame, "batch1_ms"));
        Assert.Equal([0, 1, 0], Doubles(frame, "run_3"));
        Assert.Equal([null, null, null], Doubles(frame, "p_1"));
        Assert.Equal([0.2, null, null], Doubles(frame, "p_3"));
        Assert.Equal([5, 5, 5], frame["tokens"].Cast<int?>().Select(i => i!.Value));
    }

    [Fact]
    public void Grouping_the_path_frame_gives_accuracy_per_number_of_layers_run()
    {
        // 3 layers: two right of two; 4 layers: one right of three.
        var paths = new[] { ("111", "a", "a"), ("111", "a", "a"), ("1111", "a", "b"), ("1111", "b", "b"), ("1111", "a", "b") }
            .Select(p => Samples.Path(p.Item1.PadRight(4, '0'), p.Item2) with { GoldLabel = p.Item3 }).ToList();
        var byDepth = paths.ToDataFrame().GroupBy("layers_run").Mean("correct").OrderBy("layers_run");
        Assert.Equal([3, 4], byDepth["layers_run"].Cast<int?>().Select(i => i!.Value));
        Assert.Equal(1.0, (double)byDepth["correct"][0]!, 12);
        Assert.Equal(1.0 / 3, (double)byDepth["correct"][1]!, 12);
    }

    [Fact]
    public void Layer_usage_frame_of_paths_is_the_heatmap_rows()
    {
        var frame = new[] { Samples.Path("1101"), Samples.Path("1111", "negative") }.ToLayerUsageDataFrame();
        Assert.Equal(["negative", "positive", "all inputs"], Strings(frame, "group"));
        Assert.Equal([1, 0, 0.5], Doubles(frame, "layer_3"));
        Assert.Equal([1, 1, 2], frame["inputs"].Cast<int?>().Select(i => i!.Value));
    }

    [Fact]
    public void Training_log_frame_has_a_column_per_key_and_nulls_where_a_line_lacks_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dpbert-log-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            """{"step": 1, "epoch": 0.5, "loss": 0.7, "learning_rate": 0.001, "grad_norm": 2.5}""",
            """{"step": 2, "epoch": 1.0, "loss": 0.6, "learning_rate": 0.0005, "grad_norm": 1.5}""",
            """{"step": 2, "epoch": 1.0, "eval_loss": 0.65, "eval_accuracy": 0.61}""",
        ]);
        try
        {
            var frame = TrainingFrames.FromLog(path);
            Assert.Equal(3, frame.Rows.Count);
            Assert.Equal([0.7, 0.6, null], Doubles(frame, "loss"));
            Assert.Equal([null, null, 0.61], Doubles(frame, "eval_accuracy"));
            Assert.Equal([2.5, 1.5, null], Doubles(frame, "grad_norm"));
            var evaluations = frame.Filter(frame["eval_accuracy"].ElementwiseIsNotNull());
            Assert.Equal([2], Doubles(evaluations, "step"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Progress_events_frame_keeps_step_values_on_step_rows_and_metrics_on_evaluation_rows()
    {
        var step = new TrainingProgress(TrainingEventKind.Step, 1, 2, 0.5, 0.7, 1e-3, 2.5, 100, 1000, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3));
        var evaluation = step with { Kind = TrainingEventKind.Evaluation, Loss = double.NaN, Metrics = new Dictionary<string, double> { ["accuracy"] = 0.6 } };
        var frame = new[] { step, evaluation }.ToDataFrame();
        Assert.Equal(["step", "evaluation"], Strings(frame, "kind"));
        Assert.Equal([0.7, null], Doubles(frame, "loss"));
        Assert.Equal([null, 0.6], Doubles(frame, "eval_accuracy"));
        Assert.Equal([3, 3], Doubles(frame, "elapsed_s"));
    }

    [Fact]
    public void Top_takes_what_there_is_where_Head_would_throw()
    {
        var frame = new DataFrame(new Int32DataFrameColumn("i", [1, 2, 3]));
        Assert.Equal(2, frame.Top(2).Rows.Count);
        Assert.Equal(3, frame.Top(10).Rows.Count);
        var empty = frame.Filter(frame["i"].ElementwiseGreaterThan(5));
        Assert.Equal(0, empty.Top(10).Rows.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.Top(-1));
    }

    private static List<string?> Strings(DataFrame frame, string column) => frame[column].Cast<string?>().ToList();

    private static List<double?> Doubles(DataFrame frame, string column) => frame[column].Cast<double?>().ToList();
}
