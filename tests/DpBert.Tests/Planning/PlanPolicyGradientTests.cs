using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tests.Evaluation;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Planning;

/// <summary>
/// The policy-gradient estimator of the planner: its mean over many samples against finite differences of the exact
/// expected reward (every plan enumerated), its baseline, and stage two with it: a planner trained on per-input rewards
/// gives each input the plan an exhaustive search of the rewards picks.
/// </summary>
public class PlanPolicyGradientTests
{
    [Fact]
    public void The_estimate_averages_to_the_gradient_of_the_expected_reward()
    {
        const int planned = 3, samples = 200_000;
        float[] logits = [0.4f, -1.1f, 1.7f];
        // An arbitrary reward per plan (bit j of the index: layer j runs).
        double[] reward = [0.3, -1.2, 2.0, 0.7, -0.4, 1.5, -2.2, 0.9];
        double Expected(float[] g)
        {
            double sum = 0;
            for (int mask = 0; mask < 1 << planned; mask++)
            {
                double probability = 1;
                for (int j = 0; j < planned; j++)
                {
                    double p = 1 / (1 + Math.Exp(-g[j]));
                    probability *= (mask >> j & 1) == 1 ? p : 1 - p;
                }
                sum += probability * reward[mask];
            }
            return sum;
        }

        var batchLogits = new float[samples * planned];
        for (int r = 0; r < samples; r++) logits.CopyTo(batchLogits, r * planned);
        var gates = new float[samples * planned];
        var probabilities = new float[samples * planned];
        PlanPolicyGradient.Sample(gates, probabilities, batchLogits, seed: 99);
        var rewards = new double[samples];
        for (int r = 0; r < samples; r++)
        {
            int mask = 0;
            for (int j = 0; j < planned; j++) if (gates[r * planned + j] == 1) mask |= 1 << j;
            rewards[r] = reward[mask];
        }
        var advantages = new double[samples];
        PlanPolicyGradient.Advantages(advantages, rewards);
        var dLogits = new float[samples * planned];
        PlanPolicyGradient.AddGradient(dLogits, gates, probabilities, advantages, planned);

        for (int j = 0; j < planned; j++)
        {
            double p = 1 / (1 + Math.Exp(-logits[j]));
            Assert.Equal(p, Enumerable.Range(0, samples).Average(r => gates[r * planned + j]), 2);   // the gates follow sigmoid(g)
            // The surrogate's gradient is minus the expected reward's gradient.
            double estimate = -Enumerable.Range(0, samples).Sum(r => (double)dLogits[r * planned + j]);
            const double h = 1e-4;
            var up = (float[])logits.Clone(); up[j] += (float)h;
            var down = (float[])logits.Clone(); down[j] -= (float)h;
            double exact = (Expected(up) - Expected(down)) / (up[j] - down[j]);
            Assert.True(Math.Abs(estimate - exact) < 0.01, $"layer {j}: estimate {estimate:F4}, finite differences {exact:F4}");
        }
    }

    [Fact]
    public void Advantages_are_rewards_over_the_mean_of_the_other_inputs()
    {
        var advantages = new double[3];
        PlanPolicyGradient.Advantages(advantages, [1.0, 2.0, 6.0]);
        Assert.Equal([1 - 4.0, 2 - 3.5, 6 - 1.5], advantages);
        var single = new double[1];
        PlanPolicyGradient.Advantages(single, [5.0]);
        Assert.Equal(0, single[0]);
    }

    [Fact]
    public void Stage_two_by_policy_gradient_gives_each_input_the_plan_its_rewards_favour()
    {
        // A frozen backbone (4 layers, k = 1), no distillation: input i's reward for plan z is
        // -(CE(z) - CE(every layer)) - cost * (layers of z) / 3. Two inputs, one labelled with the class the full model gives
        // and the one-layer model does not (skipping costs loss), one whose loss skipping lowers (skipping pays twice).
        var (model, _) = TradeoffTests.Model();
        var tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);
        var candidates = OraclePlans.Candidates(4, 1);
        var pool = TradeoffTests.Data();
        double CrossEntropy(float[] logits, int label) => Math.Log(Math.Exp(logits[0]) + Math.Exp(logits[1])) - logits[label];
        float[] Logits(int row, LayerPlan plan) => model.Forward(pool.Batch([row]), new FixedPlans(plan));
        var full = LayerPlan.Full(4);
        var first = candidates.Single(p => p.ExecutedCount == 1);
        // For each pool row and label: how much running only the first layer raises the loss over running them all.
        var rise = Enumerable.Range(0, pool.Count).SelectMany(row => new[] { 0, 1 }.Select(label =>
            (Row: row, Label: label, Rise: CrossEntropy(Logits(row, first), label) - CrossEntropy(Logits(row, full), label)))).ToList();
        var deep = rise.MaxBy(x => x.Rise);
        var shallow = rise.Where(x => x.Row != deep.Row).MinBy(x => x.Rise);
        Assert.True(deep.Rise > 0.2 && shallow.Rise < 0, $"the random backbone offers a deep input (rise {deep.Rise:F3}) and a shallow one ({shallow.Rise:F3})");
        double cost = deep.Rise / 2;

        // The reference: each input's best plan by exhaustive search of its rewards.
        LayerPlan Best((int Row, int Label, double Rise) input) => candidates.MaxBy(p =>
            -(CrossEntropy(Logits(input.Row, p), input.Label) - CrossEntropy(Logits(input.Row, full), input.Label)) - cost * (p.ExecutedCount - 1) / 3.0)!;
        var expected = new[] { Best(deep), Best(shallow) };
        Assert.NotEqual(expected[0], expected[1]);

        string[] texts = [TradeoffTests.Texts[deep.Row], TradeoffTests.Texts[shallow.Row]];
        var examples = Enumerable.Range(0, 64).Select(i => new LabeledExample(texts[i % 2], null, i % 2 == 0 ? deep.Label : shallow.Label)).ToList();
        var data = new EncodedDataset(examples, tokenizer, 24);
        var options = new PlannerTrainingOptions
        {
            Estimator = GateEstimator.Reinforce, LayerCost = cost, Lambda = 0, DistillationWeight = 0, BackboneLearningRate = 0,
            PlannerLearningRate = 3e-2, MaxSteps = 200, BatchSize = 16, WarmupRatio = 0, EvalBatchSize = 16, Input = TokenPooling.Mean,
        };
        using var temp = new TempFolder();
        var result = new PlannerTrainer(model, tokenizer, options).Train(data, null, (_, _) => new Dictionary<string, double>(), temp.Path);
        var plans = result.Classifier.Classify(data.Batch([0, 1]), 0.5).Plans;
        Assert.Equal(expected[0], plans[0]);
        Assert.Equal(expected[1], plans[1]);
    }
}
