using DpBert.Bert;

namespace DpBert.Tests.Bert;

/// <summary>
/// Whole-model backward, with dropout on (fixed masks), against central finite differences of the loss,
/// for classification and regression heads, with a pooler that reads [CLS] or the mean of the real tokens.
/// Complements the PyTorch parity test, which has dropout off.
/// </summary>
public class BlockGradientTests
{
    private static BertConfig TinyConfig(int labels) => new()
    {
        VocabSize = 40, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 37,
        MaxPositionEmbeddings = 12, HiddenDropoutProb = 0.1f, AttentionProbsDropoutProb = 0.1f, NumLabelsValue = labels,
    };

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    [InlineData(3, TokenPooling.Mean)]
    [InlineData(1, TokenPooling.Mean)]
    public void Every_parameter_tensor_matches_finite_differences_with_dropout_on(int labels, TokenPooling poolerInput = TokenPooling.Cls)
    {
        var config = TinyConfig(labels).WithPoolerInput(poolerInput);
        var model = BertForSequenceClassification.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, seed: 3);
        // Larger weights than the 0.02 initialiser so every path carries a visible gradient.
        var rng = new Random(4);
        foreach (var p in model.Parameters.Parameters)
        {
            var v = model.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] += (float)(rng.NextDouble() - 0.5) * 0.6f;
        }
        model.Parameters.MarkChanged();
        var batch = BertBatch.FromRows([[2, 7, 9, 11, 3, 0], [2, 5, 6, 3, 0, 0]], [[0, 0, 0, 1, 1, 0], [0, 0, 1, 1, 0, 0]], [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]]);
        int[] classLabels = labels > 1 ? [2, 0] : [];
        float[] targets = labels == 1 ? [0.7f, -1.2f] : [];
        const ulong seed = 77;

        var acts = new BertTrainingActivations(config);
        var grads = model.Parameters.CreateLike();
        model.ForwardBackward(batch, acts, grads, classLabels, targets, seed);

        double Loss()
        {
            model.Parameters.MarkChanged();
            return model.ForwardBackward(batch, acts, model.Parameters.CreateLike(), classLabels, targets, seed).Loss;
        }

        var failures = new List<string>();
        foreach (var p in model.Parameters.Parameters)
        {
            var values = model.Parameters.Span(p);
            // A few elements per tensor; for the word embedding, rows of tokens in the batch.
            int[] picks = p.Name.EndsWith("word_embeddings.weight") ? [7 * 16 + 3, 5 * 16 + 10, 0 * 16 + 1]
                : [0, p.Length / 2, p.Length - 1];
            foreach (int i in picks.Distinct())
            {
                float saved = values[i];
                const float h = 1e-2f;
                values[i] = saved + h; double up = Loss();
                values[i] = saved - h; double down = Loss();
                values[i] = saved;
                double numerical = (up - down) / (2 * h);
                double analytic = grads.Span(p)[i];
                if (Math.Abs(analytic - numerical) > 5e-4 + 5e-2 * Math.Abs(numerical))
                    failures.Add($"{p.Name}[{i}]: analytic {analytic:G6}, numerical {numerical:G6}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // nn.Embedding(padding_idx): the [PAD] row never receives a gradient.
        Assert.All(grads.Span("bert.embeddings.word_embeddings.weight")[..16].ToArray(), v => Assert.Equal(0f, v));
    }
}
