using DpBert.Bert;
using DpBert.Planning;

namespace DpBert.Tests.Planning;

/// <summary>
/// DPBERT's joint training step against central finite differences: with soft (relaxed) gates the loss is a
/// smooth function of every parameter, so the analytic gradients of the planner, of the gated layers and of
/// the layers before the planner must match. With hard gates, the forward pass must equal the model run with
/// exactly the sampled plan, and the backbone's gradients must match finite differences of that loss.
/// </summary>
public class PlannerGradientTests
{
    private static readonly BertConfig Config = new()
    {
        VocabSize = 40, HiddenSize = 16, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 24,
        MaxPositionEmbeddings = 12, HiddenDropoutProb = 0.1f, AttentionProbsDropoutProb = 0.1f, NumLabelsValue = 3,
    };

    private static readonly BertBatch Batch = BertBatch.FromRows([[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0], [2, 8, 3, 0, 0, 0]], null,
        [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0]]);

    private static readonly float[] Teacher = [1.5f, -0.5f, 0.2f, -1f, 2f, 0.3f, 0.1f, 0.4f, -0.9f];

    private static (BertForSequenceClassification Model, PlanningModule Planner) Setup(float plannerBias, TokenPooling input = TokenPooling.Cls, bool depthHeads = false)
    {
        var model = BertForSequenceClassification.CreateEmpty(Config);
        BertInitializer.Initialize(model.Parameters, Config, seed: 5);
        var rng = new Random(6);
        foreach (var p in model.Parameters.Parameters)
        {
            var v = model.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] += (float)(rng.NextDouble() - 0.5) * 0.6f;
        }
        model.Parameters.MarkChanged();
        var planner = new PlanningModule(Config, alwaysRunLayers: 1, input, depthHeads);
        foreach (var p in planner.Parameters.Parameters)
        {
            var v = planner.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5) * 1.2f;
        }
        planner.Parameters.Span("planner.output.bias").Fill(plannerBias);
        planner.Parameters.MarkChanged();
        return (model, planner);
    }

    private static readonly PlannerTrainingOptions Options = new() { Rho = 0.3, Lambda = 3, DistillationWeight = 0.4, DistillationTemperature = 2, LayerCost = 0.6 };

    [Theory]
    [InlineData(TokenPooling.Cls)]
    [InlineData(TokenPooling.Mean)]
    public void Soft_gates_planner_and_backbone_gradients_match_finite_differences(TokenPooling input)
    {
        var (model, planner) = Setup(plannerBias: 0.3f, input);
        var (step, _, pGrads) = CheckSoftGateStep(model, planner);
        // Soft gates strictly inside (0, 1): the relaxation is what is being differentiated.
        Assert.All(step.LastGates.ToArray(), g => Assert.InRange(g, 1e-3f, 1 - 1e-3f));
        Assert.Contains(pGrads.Data, v => Math.Abs(v) > 1e-4);
    }

    // One soft-gate step (labels 2, 0, 1; temperature 0.7; seed 99) whose planner and backbone gradients must match central
    // finite differences of its loss: layer 0 feeds the planner, layers 1 and 2 are gated, plus embeddings, pooler and head(s).
    private static (PlannerObjective Step, ParameterSet BackboneGrads, ParameterSet PlannerGrads) CheckSoftGateStep(BertForSequenceClassification model, PlanningModule planner)
    {
        var step = new PlannerObjective(model, null, planner, Options);
        int[] labels = [2, 0, 1];
        const double tau = 0.7;
        const ulong seed = 99;
        var bGrads = model.Parameters.CreateLike();
        var pGrads = planner.Parameters.CreateLike();
        step.Step(Batch, labels, [], Teacher, bGrads, pGrads, tau, seed, hard: false);
        var gates = step.LastGates.ToArray();

        double Loss()
        {
            model.Parameters.MarkChanged();
            planner.Parameters.MarkChanged();
            return step.Step(Batch, labels, [], Teacher, model.Parameters.CreateLike(), planner.Parameters.CreateLike(), tau, seed, hard: false).Loss;
        }

        var failures = new List<string>();
        FiniteDifferences.Check(planner.Parameters, pGrads, Loss, failures);
        FiniteDifferences.Check(model.Parameters, bGrads, Loss, failures, name => !name.Contains("word_embeddings"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        step.Step(Batch, labels, [], Teacher, model.Parameters.CreateLike(), planner.Parameters.CreateLike(), tau, seed, hard: false);
        Assert.Equal(gates, step.LastGates.ToArray());   // the step the gradients were taken at
        return (step, bGrads, pGrads);
    }

    [Fact]
    public void Depth_heads_soft_gates_gradients_match_finite_differences_and_the_models_own_head_gets_none()
    {
        var (model, planner) = Setup(plannerBias: 0.3f, TokenPooling.Mean, depthHeads: true);
        var (step, bGrads, pGrads) = CheckSoftGateStep(model, planner);
        // Each row's head is chosen by its gates above 1/2: none near it, so finite differences do not switch heads.
        var gates = step.LastGates.ToArray();
        Assert.All(gates, g => Assert.True(Math.Abs(g - 0.5f) > 0.02f, $"gate {g} too close to 1/2"));
        int[] runs = Enumerable.Range(0, 3).Select(r => 1 + (gates[2 * r] > 0.5f ? 1 : 0) + (gates[2 * r + 1] > 0.5f ? 1 : 0)).ToArray();
        Assert.True(runs.Distinct().Count() > 1, $"every row ran {runs[0]} layers: the test would not tell the heads apart");
        // The heads of the lengths the rows ran learn; the others and the model's own classifier get nothing.
        for (int m = 1; m <= 3; m++)
        {
            var head = planner.DepthHeads!.For(m);
            bool used = runs.Contains(m);
            Assert.Equal(used, pGrads.Span(head.Bias).ToArray().Any(v => v != 0));
        }
        Assert.All(bGrads.Span("classifier.weight").ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Depth_heads_classify_each_row_with_the_head_of_its_plan_length_in_training_and_inference()
    {
        var config = Config with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        var (model0, planner) = Setup(plannerBias: 0f, depthHeads: true);
        var model = new BertForSequenceClassification(config, model0.Parameters);
        var step = new PlannerObjective(model, null, planner, Options with { DistillationWeight = 0 });
        var result = step.Step(Batch, [0, 1, 2], [], [], model.Parameters.CreateLike(), planner.Parameters.CreateLike(), 0.5, 3, hard: true);
        var gates = step.LastGates.ToArray();
        var plans = Enumerable.Range(0, 3).Select(r => new LayerPlan([true, gates[r * 2] == 1f, gates[r * 2 + 1] == 1f])).ToList();
        Assert.True(plans.Select(p => p.ExecutedCount).Distinct().Count() > 1);
        AssertLogitsFromDepthHeads(model, planner, plans, result.Logits);

        // Inference: the planner's own plans at theta 0.5, the logits from the same heads.
        var output = new DpBertClassifier(model, planner).Classify(Batch, 0.5);
        AssertLogitsFromDepthHeads(model, planner, output.Plans, output.Logits);
    }

    // Recomputes each row's logits in double: the model run with the given plans, then head m = the row's layers run.
    private static void AssertLogitsFromDepthHeads(BertForSequenceClassification model, PlanningModule planner, IReadOnlyList<LayerPlan> plans, float[] logits)
    {
        model.Forward(Batch, new FixedPlans(plans));
        var pooled = model.LastPooledOutput(Batch.BatchSize).ToArray();
        int h = Config.HiddenSize, n = Config.NumLabels;
        for (int r = 0; r < plans.Count; r++)
        {
            var head = planner.DepthHeads!.For(plans[r].ExecutedCount);
            var w = planner.Parameters.Span(head.Weight);
            var b = planner.Parameters.Span(head.Bias);
            for (int c = 0; c < n; c++)
            {
                double expected = b[c];
                for (int i = 0; i < h; i++) expected += (double)w[c * h + i] * pooled[r * h + i];
                Assert.Equal(expected, logits[r * n + c], 4);
            }
        }
    }

    [Fact]
    public void Policy_gradient_budget_penalty_on_probabilities_and_backbone_gradients_match_finite_differences()
    {
        // With one input the policy-gradient term has no baseline and vanishes, so the planner's gradient is that of
        // lambda * (mean probability - rho)^2 alone, and the sampled plan (fixed by the seed) is a constant of the loss.
        var (model, planner) = Setup(plannerBias: 0.3f);
        var options = Options with { Estimator = GateEstimator.Reinforce };
        var objective = new PlannerObjective(model, null, planner, options);
        var one = BertBatch.FromRows([[2, 7, 9, 11, 3, 0]], null, [[1, 1, 1, 1, 1, 0]]);
        const ulong seed = 17;
        var bGrads = model.Parameters.CreateLike();
        var pGrads = planner.Parameters.CreateLike();
        objective.Step(one, [2], [], Teacher.AsSpan(0, 3), bGrads, pGrads, temperature: 1, seed);
        Assert.All(objective.LastGates.ToArray(), g => Assert.True(g is 0 or 1));

        double Loss()
        {
            model.Parameters.MarkChanged();
            planner.Parameters.MarkChanged();
            return objective.Step(one, [2], [], Teacher.AsSpan(0, 3), model.Parameters.CreateLike(), planner.Parameters.CreateLike(), 1, seed).Loss;
        }
        var failures = new List<string>();
        FiniteDifferences.Check(planner.Parameters, pGrads, Loss, failures);
        FiniteDifferences.Check(model.Parameters, bGrads, Loss, failures, name => !name.Contains("word_embeddings"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(pGrads.Data, v => Math.Abs(v) > 1e-4);
    }

    [Fact]
    public void Oracle_term_gradients_match_finite_differences()
    {
        // The oracle's binary cross-entropy on the planner's logits, with soft gates, against finite differences.
        var (model, planner) = Setup(plannerBias: -0.2f);
        var options = Options with { OracleWeight = 2.5 };
        float[] oracle = [1, 0, 0, 1, 1, 1];   // 3 rows x 2 planned layers
        var objective = new PlannerObjective(model, null, planner, options, oracleTargets: oracle);
        Assert.Throws<ArgumentException>(() => new PlannerObjective(model, null, planner, options));
        int[] labels = [2, 0, 1];
        const double tau = 0.7;
        const ulong seed = 31;
        var bGrads = model.Parameters.CreateLike();
        var pGrads = planner.Parameters.CreateLike();
        var withOracle = Run(objective, bGrads, pGrads);
        var without = new PlannerObjective(model, null, planner, Options).Step(Batch, labels, [], Teacher, model.Parameters.CreateLike(), planner.Parameters.CreateLike(), tau, seed, hard: false);
        Assert.True(withOracle.Loss > without.Loss, $"the oracle term adds to the loss: {withOracle.Loss} vs {without.Loss}");

        double Loss()
        {
            model.Parameters.MarkChanged();
            planner.Parameters.MarkChanged();
            return Run(objective, model.Parameters.CreateLike(), planner.Parameters.CreateLike()).Loss;
        }
        var failures = new List<string>();
        FiniteDifferences.Check(planner.Parameters, pGrads, Loss, failures);
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        DpBertStepResult Run(PlannerObjective o, ParameterSet b, ParameterSet p) =>
            o.Step(Batch, labels, [], Teacher, b, p, tau, seed, hard: false, oracleTargets: oracle);
    }

    [Fact]
    public void Hard_gates_run_exactly_the_sampled_plan_and_backbone_gradients_match_finite_differences()
    {
        var (model, planner) = Setup(plannerBias: 0f);
        int[] labels = [1, 2, 0];
        const ulong seed = 12;
        var noDistillation = Options with { DistillationWeight = 0 };
        var step = new PlannerObjective(model, null, planner, noDistillation);
        var bGrads = model.Parameters.CreateLike();
        var pGrads = planner.Parameters.CreateLike();
        var result = step.Step(Batch, labels, [], [], bGrads, pGrads, 0.5, seed, hard: true);
        var gates = step.LastGates.ToArray();
        Assert.All(gates, g => Assert.True(g is 0f or 1f));
        Assert.Contains(0f, gates);
        Assert.Contains(1f, gates);
        double mean = gates.Average();
        Assert.Equal(mean, result.GateMean, 6);

        double Loss()
        {
            model.Parameters.MarkChanged();
            var r = step.Step(Batch, labels, [], [], model.Parameters.CreateLike(), planner.Parameters.CreateLike(), 0.5, seed, hard: true);
            Assert.Equal(gates, step.LastGates.ToArray());
            return r.Loss;
        }
        var failures = new List<string>();
        // Gated layers and the head: the plan cannot change when they move (the planner reads layer 0).
        FiniteDifferences.Check(model.Parameters, bGrads, Loss, failures, name => name.Contains("layer.1.") || name.Contains("layer.2.") || name.StartsWith("classifier") || name.Contains("pooler"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Straight-through: the planner still receives a gradient although the forward gate is a step function.
        Assert.Contains(pGrads.Data, v => Math.Abs(v) > 1e-5);
    }

    [Fact]
    public void Hard_gate_forward_equals_inference_with_the_same_plan_when_dropout_is_off()
    {
        var config = Config with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        var (model0, planner) = Setup(plannerBias: 0f);
        var model = new BertForSequenceClassification(config, model0.Parameters);
        var step = new PlannerObjective(model, null, planner, Options with { DistillationWeight = 0 });
        var result = step.Step(Batch, [0, 1, 2], [], [], model.Parameters.CreateLike(), planner.Parameters.CreateLike(), 0.5, 3, hard: true);
        var gates = step.LastGates.ToArray();
        var plans = Enumerable.Range(0, 3).Select(r => new LayerPlan([true, gates[r * 2] == 1f, gates[r * 2 + 1] == 1f])).ToList();
        var logits = model.Forward(Batch, new FixedPlans(plans));
        for (int i = 0; i < logits.Length; i++) Assert.Equal(logits[i], result.Logits[i], 4);
    }

    [Fact]
    public void Policy_gradient_scores_each_input_by_its_own_loss_over_the_teachers_and_its_layers()
    {
        // Three inputs, distillation 0.4 at T = 2, layer cost 0.6, no budget penalty: the planner's output-bias gradient must
        // be sum_r -(1/3) A_r (z_rj - p_rj), with each reward recomputed here from the input run alone with its sampled plan.
        var config = Config with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        var (model0, planner) = Setup(plannerBias: 0.2f);
        var model = new BertForSequenceClassification(config, model0.Parameters);
        var options = Options with { Estimator = GateEstimator.Reinforce, Lambda = 0 };
        var objective = new PlannerObjective(model, null, planner, options);
        int[] labels = [2, 0, 1];
        var pGrads = planner.Parameters.CreateLike();
        objective.Step(Batch, labels, [], Teacher, model.Parameters.CreateLike(), pGrads, temperature: 1, seed: 23);
        var gates = objective.LastGates.ToArray();
        Assert.Contains(gates, g => g == 0);
        Assert.Contains(gates, g => g == 1);
        var probabilities = new DpBertClassifier(model, planner).Predict(Batch).Select(p => p.LayerProbabilities).ToList();

        double alpha = options.DistillationWeight, t = options.DistillationTemperature;
        double[] Softmax(IReadOnlyList<float> z, double temperature)
        {
            var e = z.Select(v => Math.Exp(v / temperature)).ToArray();
            return e.Select(v => v / e.Sum()).ToArray();
        }
        double CrossEntropy(IReadOnlyList<float> z, int label) => -Math.Log(Softmax(z, 1)[label]);
        var rewards = new double[3];
        for (int r = 0; r < 3; r++)
        {
            var plan = new LayerPlan([true, gates[r * 2] == 1, gates[r * 2 + 1] == 1]);
            var logits = model.Forward(Batch.Slice(r, 1), new FixedPlans(plan));
            var teacher = Teacher.Skip(r * 3).Take(3).ToArray();
            var (p, q) = (Softmax(teacher, t), Softmax(logits, t));
            double kl = t * t * Enumerable.Range(0, 3).Sum(j => p[j] * Math.Log(p[j] / q[j]));
            rewards[r] = -((1 - alpha) * (CrossEntropy(logits, labels[r]) - CrossEntropy(teacher, labels[r])) + alpha * kl)
                - options.LayerCost * (gates[r * 2] + gates[r * 2 + 1]) / 2;
        }
        for (int j = 0; j < 2; j++)
        {
            double expected = 0;
            for (int r = 0; r < 3; r++)
            {
                double advantage = rewards[r] - (rewards.Sum() - rewards[r]) / 2;
                expected += -advantage * (gates[r * 2 + j] - probabilities[r][j]) / 3;
            }
            Assert.Equal(expected, pGrads.Span("planner.output.bias")[j], 4);
        }
        Assert.Throws<ArgumentException>(() => objective.Step(Batch, labels, [], Teacher.AsSpan(0, 4), model.Parameters.CreateLike(), planner.Parameters.CreateLike(), 1, 23));
    }

    [Fact]
    public void Gumbel_gate_gradient_is_the_derivative_of_the_relaxation()
    {
        float[] logits = [0.3f, -1.2f, 2.0f];
        var gates = new float[3]; var soft = new float[3];
        GumbelGate.Sample(gates, soft, logits, 0.5, 4, hard: false);
        var d = new float[] { 1, 1, 1 };
        GumbelGate.Backward(d, soft, 0.5);
        for (int i = 0; i < 3; i++)
        {
            var up = (float[])logits.Clone(); up[i] += 1e-3f;
            var down = (float[])logits.Clone(); down[i] -= 1e-3f;
            var gu = new float[3]; var gd = new float[3];
            GumbelGate.Sample(gu, new float[3], up, 0.5, 4, hard: false);
            GumbelGate.Sample(gd, new float[3], down, 0.5, 4, hard: false);
            Assert.Equal((gu[i] - gd[i]) / 2e-3, d[i], 2);
        }
        Assert.Equal(0.1, GumbelGate.AnnealedTemperature(1, 0.1, 99, 100), 12);
        Assert.Equal(1.0, GumbelGate.AnnealedTemperature(1, 0.1, 0, 100), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => GumbelGate.Sample(gates, soft, logits, 0, 4, hard: true));
    }
}
