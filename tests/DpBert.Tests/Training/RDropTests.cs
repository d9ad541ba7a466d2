using DpBert.Training;

namespace DpBert.Tests.Training;

/// <summary>
/// R-Drop (<see cref="RDrop"/>): the disagreement and its gradients against values worked by hand and finite differences,
/// the two-pass fine-tuning step against finite differences of its loss, and training that makes dropout's passes agree.
/// </summary>
public class RDropTests
{
    [Fact]
    public void Disagreement_and_its_gradients_match_values_worked_by_hand()
    {
        // a = (0, 0): p = (1/2, 1/2); b = (0, ln 3): q = (1/4, 3/4).
        float[] a = [0f, 0f], b = [0f, (float)Math.Log(3)];
        double klPQ = 0.5 * Math.Log(2) + 0.5 * Math.Log(2.0 / 3), klQP = 0.25 * Math.Log(0.5) + 0.75 * Math.Log(1.5);
        var dA = new float[2];
        var dB = new float[2];
        double s = RDrop.Disagreement(dA, dB, a, b, 1, 2, regression: false);
        Assert.Equal((klPQ + klQP) / 2, s, 6);
        // d = log p - log q = (ln 2, ln 2/3); E_p d = ln(4/3) / 2, E_q d = ln 2 / 4 + 3 ln(2/3) / 4.
        double ep = Math.Log(4.0 / 3) / 2, eq = Math.Log(2) / 4 + 0.75 * Math.Log(2.0 / 3);
        Assert.Equal((0.5 * (Math.Log(2) - ep) + 0.5 - 0.25) / 2, dA[0], 6);
        Assert.Equal((0.25 * (eq - Math.Log(2)) + 0.25 - 0.5) / 2, dB[0], 6);
        // Adding a constant to a row's logits changes nothing, so each row's gradient sums to zero.
        Assert.Equal(0, dA[0] + dA[1], 6);
        Assert.Equal(0, dB[0] + dB[1], 6);

        // Passes that agree: no loss, no gradient.
        Assert.Equal(0, RDrop.Disagreement(dA, dB, b, b, 1, 2, regression: false), 12);
        Assert.All(dA.Concat(dB), g => Assert.Equal(0f, g));

        // Regression: the mean squared difference of the outputs, over two rows.
        Assert.Equal((1 + 9) / 2.0, RDrop.Disagreement(dA, dB, [1f, 3f], [2f, 0f], 2, 1, regression: true), 6);
        Assert.Equal([-1f, 3f], dA);
        Assert.Equal([1f, -3f], dB);
    }

    [Fact]
    public void Disagreement_gradients_match_finite_differences_with_three_classes_and_rows()
    {
        var rng = new Random(3);
        float[] a = Enumerable.Range(0, 12).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
        float[] b = Enumerable.Range(0, 12).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
        var dA = new float[12];
        var dB = new float[12];
        RDrop.Disagreement(dA, dB, a, b, 4, 3, regression: false);
        double At(float[] x, float[] y) => RDrop.Disagreement(new float[12], new float[12], x, y, 4, 3, regression: false);
        const float h = 1e-2f;
        for (int i = 0; i < 12; i++)
        {
            foreach (var (logits, grad, pass) in new[] { (a, dA, "a"), (b, dB, "b") })
            {
                float keep = logits[i];
                logits[i] = keep + h;
                double up = At(a, b);
                logits[i] = keep - h;
                double down = At(a, b);
                logits[i] = keep;
                Assert.True(Math.Abs((up - down) / (2 * h) - grad[i]) < 2e-4, $"{pass}[{i}]: finite difference {(up - down) / (2 * h)}, gradient {grad[i]}");
            }
        }
    }

    [Fact]
    public void Fine_tuning_step_with_rdrop_matches_finite_differences_of_its_loss()
    {
        // Dropout on, one seed: both passes' masks are fixed, so the loss is a smooth function of the weights. A large alpha and
        // dropout make the disagreement's share of every gradient large enough for the finite differences to see.
        var model = TinySentiment.NewModel(TinySentiment.Config(dropout: 0.4f), seed: 3);
        var data = new EncodedDataset(TinySentiment.Sentences(6, seed: 4).Select(r => r.Row).ToList(), TinySentiment.Tokenizer, 16);
        var objective = new ClassificationObjective(model, TinySentiment.Tokenizer, new TrainingOptions { RDropAlpha = 200 });
        int[] indices = [4, 1, 3];
        var context = new StepContext(0, 1, 77);
        var grads = model.Parameters.CreateLike();
        var step = objective.ForwardBackward(data, indices, [grads], context);
        Assert.True(step.Values!["disagreement"] > 0);   // the two passes' dropout masks differ

        FiniteDifferences.CheckStep(objective, model.Parameters, grads, data, indices, context);
    }

    [Fact]
    public void Training_with_rdrop_makes_the_dropout_passes_agree_and_still_learns_the_task()
    {
        // A quarter of the training labels are wrong, so dropout's passes have something to disagree about.
        var noise = new Random(5);
        var train = new EncodedDataset(TinySentiment.Sentences(256, seed: 1).Select(s => noise.NextDouble() < 0.25 ? s.Row with { Label = 1 - s.Truth } : s.Row).ToList(),
            TinySentiment.Tokenizer, 16);
        var test = TinySentiment.Sentences(64, seed: 2);
        var testSet = new EncodedDataset(test.Select(t => t.Row).ToList(), TinySentiment.Tokenizer, 16);

        (double Disagreement, double Accuracy) Train(double alpha)
        {
            var model = TinySentiment.NewModel(TinySentiment.Config(dropout: 0.3f), seed: 1);
            var options = new TrainingOptions { NumTrainEpochs = 6, PerDeviceTrainBatchSize = 16, LearningRate = 2e-3, WarmupRatio = 0.1, RDropAlpha = alpha };
            using var temp = new TempFolder();
            new Trainer(model, TinySentiment.Tokenizer, options).Train(train, (Func<IReadOnlyDictionary<string, double>>?)null, temp.Path);
            // Two dropout passes over the unseen sentences, measured the same way for both models.
            var probe = new ClassificationObjective(model, TinySentiment.Tokenizer, new TrainingOptions { RDropAlpha = 1 });
            double disagreement = probe.ForwardBackward(testSet, Enumerable.Range(0, test.Count).ToArray(), [model.Parameters.CreateLike()], new StepContext(0, 1, 9))
                .Values!["disagreement"];
            var predicted = EvaluationOutput.Predict(model, testSet, 64).PredictedLabels;
            return (disagreement, Enumerable.Range(0, test.Count).Average(i => predicted[i] == test[i].Truth ? 1.0 : 0.0));
        }

        var plain = Train(0);
        var rdrop = Train(20);   // a strong weight, so that six epochs of a tiny model show it (0.0087 without, 0.0026 with, when written)
        Assert.True(plain.Accuracy >= 0.95 && rdrop.Accuracy >= 0.95, $"accuracy without R-Drop {plain.Accuracy}, with {rdrop.Accuracy}");
        Assert.True(rdrop.Disagreement < plain.Disagreement / 2, $"disagreement without R-Drop {plain.Disagreement}, with {rdrop.Disagreement}");
    }
}
