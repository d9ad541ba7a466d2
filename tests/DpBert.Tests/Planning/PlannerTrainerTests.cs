using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tests.Evaluation;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Planning;

/// <summary>DPBERT's joint training loop: the budget penalty steers the gates to rho, the log records each step, and the folder reloads exactly.</summary>
public class PlannerTrainerTests
{
    [Fact]
    public void Training_steers_gates_towards_rho_logs_each_step_and_saves_a_reloadable_folder()
    {
        using var temp = new TempFolder();
        var (model, _) = TradeoffTests.Model();
        var data = TradeoffTests.Data(64);
        var tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);
        var options = new PlannerTrainingOptions { Rho = 0.3, Lambda = 20, MaxSteps = 40, BatchSize = 16, PlannerLearningRate = 1e-2, BackboneLearningRate = 1e-4, WarmupRatio = 0 };
        var trainer = new PlannerTrainer(model, tokenizer, options);
        MetricFunction accuracy = (d, o) => new Dictionary<string, double> { ["accuracy"] = DpBert.Glue.GlueMetrics.Accuracy(o.PredictedLabels, d.Labels) };
        var result = trainer.Train(data, TradeoffTests.Data(), accuracy, temp.Path);

        var log = TrainingLog.Read(Path.Combine(temp.Path, TrainingLog.FileName));
        var steps = log.Where(r => r.ContainsKey("gate_mean")).ToList();
        Assert.Equal(40, steps.Count);
        double first = steps.Take(5).Average(r => r["gate_mean"].GetDouble()), last = steps.TakeLast(10).Average(r => r["gate_mean"].GetDouble());
        Assert.True(first > 0.55, $"gates start near (1 + rho) / 2 = 0.65, got {first:F3}");
        Assert.True(Math.Abs(last - options.Rho) < 0.15, $"gate mean {first:F3} -> {last:F3}, target {options.Rho}");
        Assert.Equal(1.0, steps[0]["temperature"].GetDouble(), 12);
        Assert.Equal(0.1, steps[^1]["temperature"].GetDouble(), 12);
        // 40 steps of 16 over 64 examples: ten epochs, one evaluation at the end of each.
        var evaluations = log.Where(r => r.ContainsKey("eval_mean_layers")).ToList();
        Assert.Equal(10, evaluations.Count);
        Assert.InRange(evaluations[^1]["eval_mean_layers"].GetDouble(), 1, 4);

        var (_, reloaded) = DpBertFolder.Load(temp.Path);
        var batch = TradeoffTests.Data().Batch([0, 1, 2, 3, 4], 0);
        var expected = result.Classifier.Predict(batch, 0.5);
        var actual = reloaded.Predict(batch, 0.5);
        Assert.Equal(expected.Select(p => p.Plan), actual.Select(p => p.Plan));
        Assert.Equal(expected.SelectMany(p => p.Logits), actual.SelectMany(p => p.Logits));
    }

    [Fact]
    public void The_planner_input_is_written_with_the_folder_and_old_folders_read_cls()
    {
        using var temp = new TempFolder();
        var (model, _) = TradeoffTests.Model();
        var tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);
        var options = new PlannerTrainingOptions { MaxSteps = 3, BatchSize = 16, WarmupRatio = 0, Input = TokenPooling.Mean };
        MetricFunction accuracy = (d, o) => new Dictionary<string, double> { ["accuracy"] = DpBert.Glue.GlueMetrics.Accuracy(o.PredictedLabels, d.Labels) };
        var result = new PlannerTrainer(model, tokenizer, options).Train(TradeoffTests.Data(64), TradeoffTests.Data(), accuracy, temp.Path);
        Assert.Equal(TokenPooling.Mean, result.Classifier.Planner.Input);
        var (_, reloaded) = DpBertFolder.Load(temp.Path);
        Assert.Equal(TokenPooling.Mean, reloaded.Planner.Input);
        var batch = TradeoffTests.Data().Batch([0, 1, 2, 3, 4], 0);
        Assert.Equal(result.Classifier.Predict(batch, 0.5).SelectMany(p => p.LayerProbabilities), reloaded.Predict(batch, 0.5).SelectMany(p => p.LayerProbabilities));

        string config = temp.File(DpBertFolder.ConfigFileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        Assert.Equal("mean", json["planner_input"]!.GetValue<string>());
        json.Remove("planner_input");
        File.WriteAllText(config, json.ToJsonString());
        Assert.Equal(TokenPooling.Cls, DpBertFolder.Load(temp.Path).Classifier.Planner.Input);
        json["planner_input"] = "sum";
        File.WriteAllText(config, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => DpBertFolder.Load(temp.Path));
        Assert.Contains("planner_input: token pooling \"sum\" is not one of cls, mean", e.Message);
    }

    [Fact]
    public void Depth_heads_start_as_the_models_head_are_saved_with_the_planner_and_a_mismatched_folder_names_the_keys()
    {
        using var temp = new TempFolder();
        var (model, _) = TradeoffTests.Model();
        var tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);
        var options = new PlannerTrainingOptions { MaxSteps = 3, BatchSize = 16, WarmupRatio = 0, DepthHeads = true };
        var fresh = PlannerTrainer.CreatePlanner(model, options);
        var classifierWeight = model.Parameters.Span("classifier.weight").ToArray();
        for (int m = 1; m <= model.Config.NumHiddenLayers; m++)
            Assert.Equal(classifierWeight, fresh.Parameters.Span(fresh.DepthHeads!.For(m).Weight).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => fresh.DepthHeads!.For(0));

        MetricFunction accuracy = (d, o) => new Dictionary<string, double> { ["accuracy"] = DpBert.Glue.GlueMetrics.Accuracy(o.PredictedLabels, d.Labels) };
        var result = new PlannerTrainer(model, tokenizer, options).Train(TradeoffTests.Data(64), TradeoffTests.Data(), accuracy, temp.Path);
        Assert.NotNull(result.Classifier.Planner.DepthHeads);
        var (_, reloaded) = DpBertFolder.Load(temp.Path);
        Assert.NotNull(reloaded.Planner.DepthHeads);
        var batch = TradeoffTests.Data().Batch([0, 1, 2, 3, 4], 0);
        Assert.Equal(result.Classifier.Predict(batch, 0.5).SelectMany(p => p.Logits), reloaded.Predict(batch, 0.5).SelectMany(p => p.Logits));
        // The folder's own classifier is the trained head of full-length plans (stage two does not train the model's head).
        var fullHead = reloaded.Planner.DepthHeads!.For(model.Config.NumHiddenLayers);
        Assert.Equal(reloaded.Planner.Parameters.Span(fullHead.Weight).ToArray(), reloaded.Model.Parameters.Span("classifier.weight").ToArray());
        Assert.Equal(reloaded.Planner.Parameters.Span(fullHead.Bias).ToArray(), reloaded.Model.Parameters.Span("classifier.bias").ToArray());
        Assert.NotEqual(classifierWeight, reloaded.Model.Parameters.Span("classifier.weight").ToArray());   // it was trained

        // A settings file that does not say depth_heads, beside weights that hold them: the load names the keys it did not expect.
        string config = temp.File(DpBertFolder.ConfigFileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        Assert.True(json["depth_heads"]!.GetValue<bool>());
        json.Remove("depth_heads");
        File.WriteAllText(config, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => DpBertFolder.Load(temp.Path));
        Assert.Contains("planner.depth_head.1.weight", e.Message);
    }

    [Theory]
    [InlineData(0.0, 1.0, "--rho 0")]
    [InlineData(1.5, 1.0, "--rho 1.5")]
    [InlineData(double.NaN, 1.0, "--rho NaN")]
    [InlineData(0.5, -1.0, "--lambda -1")]
    public void Bad_training_knobs_are_rejected(double rho, double lambda, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PlannerTrainingOptions { Rho = rho, Lambda = lambda }.Validate());
        Assert.Contains(message, e.Message);
        new PlannerTrainingOptions { Rho = 1.0 }.Validate();   // rho = 1 (run everything) is allowed
    }

    [Fact]
    public void A_negative_layer_cost_or_an_unknown_gate_estimator_is_rejected_by_name()
    {
        Assert.Contains("--layer-cost -0.5", Assert.Throws<ArgumentOutOfRangeException>(() => new PlannerTrainingOptions { LayerCost = -0.5 }.Validate()).Message);
        Assert.Contains("gate estimator \"gumbel\" is not one of straight-through, reinforce", Assert.Throws<ArgumentException>(() => GateEstimators.Parse("gumbel")).Message);
        Assert.Equal(GateEstimator.Reinforce, GateEstimators.Parse(GateEstimators.Name(GateEstimator.Reinforce)));
    }

    [Fact]
    public void Missing_planner_files_name_the_folder_and_the_command()
    {
        using var temp = new TempFolder();
        foreach (string f in Directory.GetFiles(GoldenFiles.TinyModelFolder)) File.Copy(f, Path.Combine(temp.Path, Path.GetFileName(f)));
        var e = Assert.Throws<FileNotFoundException>(() => DpBertFolder.Load(temp.Path));
        Assert.Contains("dpbert plan", e.Message);
        File.WriteAllText(temp.File(DpBertFolder.ConfigFileName), "{\"always_run_layers\": 7}");
        File.WriteAllText(temp.File(DpBertFolder.PlannerFileName), "");
        Assert.Contains("always_run_layers 7", Assert.Throws<InvalidDataException>(() => DpBertFolder.Load(temp.Path)).Message);
    }
}
