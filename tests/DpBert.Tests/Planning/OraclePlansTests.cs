using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tests.Evaluation;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Planning;

/// <summary>Oracle plans against brute force, the oracle as a method, and a planner that learns per-input plans from oracle targets.</summary>
public class OraclePlansTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(35)]
    public void Each_oracle_plan_is_the_cheapest_that_keeps_the_full_models_answer(int seed)
    {
        var model = DpBert.Tests.EarlyExit.EarlyExitInferenceTests.RandomModel(TradeoffTests.Model().Model.Config, seed);
        var data = TradeoffTests.Data();
        var oracle = OraclePlans.Search(model, data, alwaysRunLayers: 1, batchSize: 4);
        Assert.Equal(data.Count, oracle.Plans.Count);
        var candidates = OraclePlans.Candidates(4, 1);
        Assert.Equal(8, candidates.Count);
        Assert.All(candidates, p => Assert.True(p.Runs(0)));
        for (int i = 0; i < data.Count; i++)
        {
            // Brute force, one input alone: which plans keep its full-model class?
            var batch = data.Batch([i]);
            int Class(float[] logits) => logits[0] >= logits[1] ? 0 : 1;
            int full = Class(model.Forward(batch));
            var keeping = candidates.Where(p => Class(model.Forward(batch, new FixedPlans(p))) == full).ToList();
            var plan = oracle.Plans[i];
            Assert.True(plan.Runs(0));
            Assert.Contains(plan, keeping);
            Assert.Equal(keeping.Min(p => p.ExecutedCount), plan.ExecutedCount);
        }
        Assert.InRange(oracle.MeanLayers, 1, 4);
        Assert.True(oracle.Plans.Select(p => p.ToString()).Distinct().Count() > 1, "random weights: the inputs need different plans");
        var targets = oracle.Targets();
        Assert.Equal(data.Count * 3, targets.Length);
        Assert.Equal(oracle.Plans[0].Runs(2) ? 1f : 0f, targets[1]);
    }

    [Theory]
    [InlineData(32, 0.5)]
    [InlineData(35, 2.2)]
    public void With_a_margin_each_plan_is_the_cheapest_that_gives_the_full_models_class_by_that_margin(int seed, double margin)
    {
        var model = DpBert.Tests.EarlyExit.EarlyExitInferenceTests.RandomModel(TradeoffTests.Model().Model.Config, seed);
        var data = TradeoffTests.Data();
        var oracle = OraclePlans.Search(model, data, alwaysRunLayers: 1, batchSize: 4, minMargin: margin);
        var plain = OraclePlans.Search(model, data, alwaysRunLayers: 1, batchSize: 4);
        Assert.Equal(margin, oracle.MinMargin);
        var candidates = OraclePlans.Candidates(4, 1);
        for (int i = 0; i < data.Count; i++)
        {
            // Brute force, one input alone: which plans give the full model's class with a logit lead of at least the margin?
            var batch = data.Batch([i]);
            var full = model.Forward(batch);
            int cls = full[0] >= full[1] ? 0 : 1;
            double Lead(float[] logits) => logits[cls] - logits[1 - cls];
            var keeping = candidates.Where(p => Lead(model.Forward(batch, new FixedPlans(p))) >= margin).ToList();
            int expected = keeping.Count > 0 ? keeping.Min(p => p.ExecutedCount) : 4;   // none: the full plan
            Assert.Equal(expected, oracle.Plans[i].ExecutedCount);
            if (keeping.Count > 0) Assert.Contains(oracle.Plans[i], keeping);
            Assert.True(oracle.Plans[i].ExecutedCount >= plain.Plans[i].ExecutedCount, "a margin can only make a plan longer");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => OraclePlans.Search(model, data, 1, 4, minMargin: -1));
    }

    [Fact]
    public void The_oracle_method_runs_the_stored_plans_and_counts_unknown_inputs()
    {
        var (model, _) = TradeoffTests.Model();
        var data = TradeoffTests.Data();
        var oracle = OraclePlans.Search(model, data, 1, 4);
        using var temp = new TempFolder();
        string path = temp.File(OracleMethod.PlansFileName);
        OracleMethod.WritePlans(path, Enumerable.Range(0, data.Count).Select(i => data.TokenIds(i).ToArray()).ToList(), oracle.Plans);
        var classifier = new KnownPlansClassifier(model, OracleMethod.ReadPlans(path, 4));
        var output = classifier.Classify(data.Batch([0, 1, 2]), 0);
        Assert.Equal(oracle.Plans.Take(3), output.Plans);
        Assert.Equal(0, classifier.Unknown);
        classifier.Classify(BertBatch.FromRows([[2, 7, 9, 3]]), 0);
        Assert.Equal(1, classifier.Unknown);
        File.AppendAllText(path, "{\"input_ids\": [1, 2], \"plan\": \"10\"}\n");
        Assert.Contains($"{path}:{data.Count + 1}:", Assert.Throws<InvalidDataException>(() => OracleMethod.ReadPlans(path, 4)).Message);
    }

    [Fact]
    public void A_planner_trained_on_oracle_targets_separates_inputs_that_need_different_depths()
    {
        // Two kinds of input; the targets say the first kind needs every layer and the second only the first.
        var (model, _) = TradeoffTests.Model();
        var tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);
        string[] deep = ["the plot is thin", "it is not a good film at all , sadly", "boring , long and tedious beyond words"];
        string[] shallow = ["wonderful", "funny and sharp", "the cast is great"];
        var examples = Enumerable.Range(0, 48).Select(i => new LabeledExample(i % 2 == 0 ? deep[i / 2 % 3] : shallow[i / 2 % 3], null, i % 2)).ToList();
        var data = new EncodedDataset(examples, tokenizer, 24);
        var plans = examples.Select((_, i) => LayerPlan.Parse(i % 2 == 0 ? "1111" : "1000")).ToArray();
        var options = new PlannerTrainingOptions
        {
            OracleWeight = 1, Lambda = 0, DistillationWeight = 0, BackboneLearningRate = 0, PlannerLearningRate = 3e-2,
            MaxSteps = 150, BatchSize = 16, WarmupRatio = 0, EvalBatchSize = 16,
        };
        using var temp = new TempFolder();
        var result = new PlannerTrainer(model, tokenizer, options) { OracleTargets = new OraclePlans(plans, 1, 0.1) }
            .Train(data, null, (_, _) => new Dictionary<string, double>(), temp.Path);
        var output = result.Classifier.Classify(data.Batch(Enumerable.Range(0, 6).ToArray()), 0.5);
        var predicted = output.Plans;
        for (int i = 0; i < 6; i++) Assert.Equal(plans[i], predicted[i]);
        var log = TrainingLog.Read(Path.Combine(temp.Path, TrainingLog.FileName)).Where(r => r.ContainsKey("oracle_loss")).ToList();
        Assert.True(log[^1]["oracle_loss"].GetDouble() < log[0]["oracle_loss"].GetDouble() / 4, "the oracle loss falls");
    }
}
