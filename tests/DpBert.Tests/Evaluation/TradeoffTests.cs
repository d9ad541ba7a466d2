using DpBert.Methods;
using DpBert.Bert;
using DpBert.EarlyExit;
using DpBert.Evaluation;
using DpBert.Planning;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Evaluation;

/// <summary>Every method through the evaluation layer: batched and batch-1 agreement, the sweep, the Pareto front and the result files.</summary>
public class TradeoffTests
{
    private static readonly BertTokenizer Tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);

    internal static readonly string[] Texts = ["a gorgeous , witty , seductive movie .", "the plot is thin", "it is not a good film at all , sadly", "wonderful",
        "i would not recommend this to anyone who likes movies", "a mess", "funny and sharp", "boring , long and tedious beyond words",
        "the cast is great", "no", "an unexpected delight from start to finish"];

    internal static EncodedDataset Data(int count = 11)
    {
        var examples = Enumerable.Range(0, count).Select(i => new LabeledExample(Texts[i % Texts.Length], null, i % 2)).ToList();
        return new EncodedDataset(examples, Tokenizer, 24);
    }

    internal static (BertForSequenceClassification Model, PlanningModule Planner) Model()
    {
        var config = new BertConfig
        {
            VocabSize = Tokenizer.Vocabulary.Count, HiddenSize = 32, NumHiddenLayers = 4, NumAttentionHeads = 2, IntermediateSize = 48,
            MaxPositionEmbeddings = 32, NumLabelsValue = 2, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
        };
        var model = DpBert.Tests.EarlyExit.EarlyExitInferenceTests.RandomModel(config, 31);
        var planner = new PlanningModule(config, 1);
        var rng = new Random(32);
        foreach (var p in planner.Parameters.Parameters)
        {
            var v = planner.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5) * 3f;
        }
        planner.Parameters.MarkChanged();
        return (model, planner);
    }

    private static IEnumerable<(IAdaptiveClassifier Method, double Knob)> Methods()
    {
        var (model, planner) = Model();
        yield return (new FullDepthClassifier(model), 0);
        yield return (new StaticDepthClassifier(model), 2);
        yield return (new DpBertClassifier(model, planner), 0.5);
        yield return (new EarlyExitClassifier(model, DpBert.Tests.EarlyExit.EarlyExitInferenceTests.RandomHeads(model, EarlyExitMethod.DeeBert, 3)), 0.4);
        yield return (new EarlyExitClassifier(model, DpBert.Tests.EarlyExit.EarlyExitInferenceTests.RandomHeads(model, EarlyExitMethod.Pabee, 4)), 1);
    }

    [Fact]
    public void Batched_and_batch_1_inference_agree_for_every_method()
    {
        var data = Data();
        foreach (var (method, knob) in Methods())
        {
            var one = AdaptivePredictions.Run(method, data, knob, 1);
            var batched = AdaptivePredictions.Run(method, data, knob, 4);
            Assert.Equal(one.Plans, batched.Plans);
            for (int i = 0; i < one.Output.Logits.Length; i++) Assert.Equal(one.Output.Logits[i], batched.Output.Logits[i], 4);
            Assert.Equal(one.Output.PredictedLabels, batched.Output.PredictedLabels);
            // And the same call again gives the same plans (deterministic at inference).
            Assert.Equal(batched.Plans, AdaptivePredictions.Run(method, data, knob, 4).Plans);
        }
    }

    [Fact]
    public void Sweep_measures_the_full_model_first_and_every_knob_with_consistent_records()
    {
        var data = Data();
        var (model, planner) = Model();
        var full = new FullDepthClassifier(model);
        MetricFunction accuracy = (d, o) => new Dictionary<string, double> { ["accuracy"] = DpBert.Glue.GlueMetrics.Accuracy(o.PredictedLabels, d.Labels) };
        var options = new LatencyOptions { WarmupInputs = 2, WarmupMilliseconds = 0, ThroughputBatchSize = 4, Rounds = 2 };
        var result = TradeoffSweep.Run("sst2", full, [new SweepEntry(new DpBertClassifier(model, planner), [0.1, 0.5, 0.9]), new SweepEntry(new StaticDepthClassifier(model), [1, 4])],
            data, accuracy, "accuracy", options);
        Assert.Equal(6, result.Points.Count);
        var reference = result.Points[0];
        Assert.Equal(("full", 1.0, 4.0), (reference.Method, reference.SpeedUp, reference.MeanLayers));
        Assert.Equal(data.Count, reference.Batch1.Count);
        // Static depth 4 is the full model: same metric and usage; static depth 1 runs one layer.
        var depth4 = result.Points.Single(p => p.Method == "static" && p.KnobValue == 4);
        Assert.Equal(reference.Metric, depth4.Metric);
        Assert.Equal(1.0, result.Points.Single(p => p.Method == "static" && p.KnobValue == 1).MeanLayers);
        // A higher theta never runs more layers.
        var dp = result.Points.Where(p => p.Method == "dpbert").OrderBy(p => p.KnobValue).ToList();
        for (int i = 1; i < dp.Count; i++) Assert.True(dp[i].MeanLayers <= dp[i - 1].MeanLayers);
        foreach (var p in result.Points)
        {
            Assert.Equal(data.Count, p.DepthHistogram.Sum());
            Assert.Equal(p.MeanLayers, p.LayerUsage.Sum(), 9);
            Assert.Equal(reference.Batch1.MeanMs / p.Batch1.MeanMs, p.SpeedUp, 9);
        }
        Assert.Equal(ParetoFront.Of(result.Points), result.ParetoFront);
    }

    [Fact]
    public void Both_passes_rotate_which_point_runs_first()
    {
        // Interleaving only makes the points see the same machine if no point always goes first: the batch-1 pass
        // rotates from input to input and the throughput pass from batch to batch.
        var (model, planner) = Model();
        var calls = new List<(string Point, int Rows)>();
        var full = new Recording(new FullDepthClassifier(model), calls);
        var dpbert = new Recording(new DpBertClassifier(model, planner), calls);
        var data = Data(9);
        var options = new LatencyOptions { WarmupInputs = 1, WarmupMilliseconds = 0, ThroughputBatchSize = 3 };
        MetricFunction accuracy = (d, o) => new Dictionary<string, double> { ["accuracy"] = DpBert.Glue.GlueMetrics.Accuracy(o.PredictedLabels, d.Labels) };
        TradeoffSweep.Run("sst2", full, [new SweepEntry(dpbert, [0.3, 0.7])], data, accuracy, "accuracy", options);
        var throughput = calls.TakeLast(9).Chunk(3).ToList();   // 3 batches x 3 points, last in the sweep
        var batch1 = calls.SkipLast(9).TakeLast(27).Chunk(3).ToList();   // 9 inputs x 3 points before it
        foreach (var pass in new[] { throughput, batch1 })
        {
            Assert.All(pass, round => Assert.Equal(3, round.Select(c => c.Point).Distinct().Count()));
            Assert.Equal(3, pass.Take(3).Select(round => round[0].Point).Distinct().Count());
        }
        Assert.All(throughput, round => Assert.All(round, c => Assert.Equal(3, c.Rows)));
        Assert.All(batch1, round => Assert.All(round, c => Assert.Equal(1, c.Rows)));
    }

    // A method that records each call (point label, batch rows) before passing it on.
    private sealed class Recording(IAdaptiveClassifier inner, List<(string Point, int Rows)> calls) : IAdaptiveClassifier
    {
        public AdaptiveMethod Method => inner.Method;
        public BertForSequenceClassification Model => inner.Model;
        public AdaptiveOutput Classify(BertBatch batch, double knob)
        {
            calls.Add((Method.Label(Method.Knob is null ? null : knob), batch.BatchSize));
            return inner.Classify(batch, knob);
        }
    }

    internal static MethodResult Point(string method, double knob, double metric, double ms) => new(method, "k", knob, "accuracy", metric,
        new Dictionary<string, double> { ["accuracy"] = metric }, 2, [1.0, 1.0], [0, 0, 1], new LatencyStatistics(1, ms, ms, ms, ms), 100, 32, 1, 1);

    [Fact]
    public void Pareto_front_keeps_only_points_that_nothing_faster_beats()
    {
        var a = Point("full", 0, 0.90, 10);
        var b = Point("dpbert", 0.5, 0.89, 6);
        var c = Point("static", 2, 0.80, 5);
        var d = Point("pabee", 1, 0.85, 7);     // slower than b and worse: dominated
        var e = Point("deebert", 0.3, 0.80, 5.5); // same metric as the faster c: dominated
        var f = Point("static", 1, 0.70, 4);
        Assert.Equal([f, c, b, a], ParetoFront.Of([a, b, c, d, e, f]));
        Assert.Empty(ParetoFront.Of([]));
    }

    [Fact]
    public void Operating_points_pick_the_fastest_point_above_the_floor_and_compare_at_equal_latency()
    {
        var full = Point("full", 0, 0.80, 10);
        var dp1 = Point("dpbert", 0.3, 0.795, 7);
        var dp2 = Point("dpbert", 0.6, 0.786, 5);     // 98.25% of 0.80: keeps 98%, not 99%
        var dp3 = Point("dpbert", 0.8, 0.70, 3);
        var dee = Point("deebert", 0.2, 0.78, 4.9);
        var deeSlow = Point("deebert", 0.1, 0.79, 6);
        var pabee = Point("pabee", 1, 0.77, 8);
        var tradeoff = new TradeoffResult("sst2", "accuracy", [full, dp1, dp2, dp3, dee, deeSlow, pabee], []);
        Assert.Same(dp2, OperatingPoints.FastestKeeping(tradeoff, "dpbert", 0.98));
        Assert.Same(dp1, OperatingPoints.FastestKeeping(tradeoff, "dpbert", 0.99));
        Assert.Null(OperatingPoints.FastestKeeping(tradeoff, "pabee", 0.99));
        var equal = OperatingPoints.BestAtOrBelowLatency(tradeoff, dp2);
        Assert.Equal([dee, dp2], equal.OrderBy(p => p.Method, StringComparer.Ordinal));   // PABEE has no point as fast; DeeBERT's best at <= 5 ms
    }

    [Fact]
    public void Results_round_trip_through_json_and_write_one_csv_row_each()
    {
        using var temp = new TempFolder();
        MethodResult[] points = [Point("full", 0, 0.9, 10) with { KnobValue = null, KnobName = "" }, Point("dpbert", 0.5, 0.89, 6)];
        ResultFiles.SaveJson(temp.File("r.json"), points);
        var back = ResultFiles.LoadJson(temp.File("r.json"));
        Assert.Equal(points.Length, back.Count);
        Assert.Equal(points[1].Batch1, back[1].Batch1);
        Assert.Equal(points[1].LayerUsage, back[1].LayerUsage);
        Assert.Null(back[0].KnobValue);
        ResultFiles.SaveCsv(temp.File("r.csv"), points);
        var lines = File.ReadAllLines(temp.File("r.csv"));
        Assert.Equal(string.Join(",", ResultFiles.CsvColumns), lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("dpbert,k,0.5,accuracy,0.89,2,6,6,6,6,1,100,32,1,1,1,1;1,0;0;1", lines[2]);
        // A cell with a comma or a quote is quoted (RFC 4180), so the row keeps its columns.
        ResultFiles.SaveCsv(temp.File("q.csv"), [points[1] with { MetricName = "f1, \"macro\"" }]);
        Assert.Contains(",\"f1, \"\"macro\"\"\",", File.ReadAllLines(temp.File("q.csv"))[1]);
        File.WriteAllText(temp.File("bad.json"), "{ not json");
        Assert.Contains("bad.json", Assert.Throws<InvalidDataException>(() => ResultFiles.LoadJson(temp.File("bad.json"))).Message);
    }
}
