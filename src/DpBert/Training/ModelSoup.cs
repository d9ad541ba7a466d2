using System.Globalization;
using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Training;

/// <summary>
/// Model soups (Wortsman et al., 2022): sequence classifiers fine-tuned from the same pre-trained model, averaged parameter by
/// parameter into one model of the same size and speed. The greedy recipe adds the fine-tuned models one at a time, best first
/// on held-out rows, and keeps each only when the average does not score less there.
/// </summary>
public static class ModelSoup
{
    /// <summary>
    /// The uniform average of <paramref name="models"/>: every parameter is the mean of the models' values (summed in double
    /// precision). The configuration and tokenizer are the first model's; the others must agree with them.
    /// </summary>
    /// <exception cref="ArgumentException">No models, or two that differ in architecture, labels, pooler input or vocabulary
    /// (the message names both folders and what differs).</exception>
    public static LoadedModel Average(IReadOnlyList<LoadedModel> models)
    {
        RequireCompatible(models);
        var first = models[0];
        var soup = BertForSequenceClassification.CreateEmpty(first.Config);
        var target = soup.Parameters.Data;
        var sums = new double[target.Length];
        foreach (var model in models)
        {
            var data = model.Model.Parameters.Data;
            for (int i = 0; i < sums.Length; i++) sums[i] += data[i];
        }
        for (int i = 0; i < sums.Length; i++) target[i] = (float)(sums[i] / models.Count);
        soup.Parameters.MarkChanged();
        return first with { Model = soup, Folder = "soup of " + string.Join(", ", models.Select(m => m.Folder)) };
    }

    /// <summary>
    /// The greedy soup: ingredients sorted by their own held-out score (best first, ties in the given order), each added to the
    /// soup when the soup's score with it is at least the score without it.
    /// </summary>
    /// <param name="ownScores">Each ingredient's held-out score, higher is better.</param>
    /// <param name="score">Scores a soup given as ingredient indices.</param>
    /// <returns>Indices of the ingredients kept (best first) and every step taken.</returns>
    public static (IReadOnlyList<int> Kept, IReadOnlyList<SoupStep> Steps) Greedy(IReadOnlyList<double> ownScores, Func<IReadOnlyList<int>, double> score)
    {
        ArgumentNullException.ThrowIfNull(ownScores);
        ArgumentNullException.ThrowIfNull(score);
        if (ownScores.Count == 0) throw new ArgumentException("a model soup needs at least one model", nameof(ownScores));
        var order = Enumerable.Range(0, ownScores.Count).OrderByDescending(i => ownScores[i]).ToList();
        var kept = new List<int> { order[0] };
        double best = ownScores[order[0]];
        var steps = new List<SoupStep> { new(order[0], best, best, true) };
        foreach (int candidate in order.Skip(1))
        {
            double withIt = score([.. kept, candidate]);
            bool keep = withIt >= best;
            steps.Add(new SoupStep(candidate, ownScores[candidate], withIt, keep));
            if (!keep) continue;
            kept.Add(candidate);
            best = withIt;
        }
        return (kept, steps);
    }

    /// <summary>Checks that <paramref name="models"/> can be averaged, before any work is spent on them.</summary>
    /// <exception cref="ArgumentException">No models, or two that differ (see <see cref="Average"/>).</exception>
    public static void RequireCompatible(IReadOnlyList<LoadedModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("a model soup needs at least one model", nameof(models));
        foreach (var other in models.Skip(1)) RequireCompatible(models[0], other);
    }

    private static void RequireCompatible(LoadedModel a, LoadedModel b)
    {
        var left = Signature(a);
        var right = Signature(b);
        foreach (var (key, value) in left)
        {
            if (right[key] != value)
                throw new ArgumentException($"{b.Folder} cannot be averaged with {a.Folder}: {key} is {right[key]} there and {value} here");
        }
        var vocabA = a.Tokenizer.Vocabulary;
        var vocabB = b.Tokenizer.Vocabulary;
        if (vocabA.Count != vocabB.Count)
            throw new ArgumentException($"{b.Folder} cannot be averaged with {a.Folder}: its vocabulary has {vocabB.Count} tokens, not {vocabA.Count}");
        for (int i = 0; i < vocabA.Count; i++)
        {
            if (vocabA.GetToken(i) != vocabB.GetToken(i))
                throw new ArgumentException($"{b.Folder} cannot be averaged with {a.Folder}: token {i} of its vocabulary is \"{vocabB.GetToken(i)}\", not \"{vocabA.GetToken(i)}\"");
        }
    }

    // What must agree for an average to mean anything: the computation and the labels (dropout rates need not).
    private static Dictionary<string, string> Signature(LoadedModel m)
    {
        var c = m.Config;
        var inv = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            ["vocab_size"] = c.VocabSize.ToString(inv),
            ["hidden_size"] = c.HiddenSize.ToString(inv),
            ["num_hidden_layers"] = c.NumHiddenLayers.ToString(inv),
            ["num_attention_heads"] = c.NumAttentionHeads.ToString(inv),
            ["intermediate_size"] = c.IntermediateSize.ToString(inv),
            ["hidden_act"] = c.HiddenAct,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings.ToString(inv),
            ["type_vocab_size"] = c.TypeVocabSize.ToString(inv),
            ["layer_norm_eps"] = c.LayerNormEps.ToString("R", inv),
            ["position_embedding_type"] = c.PositionEmbeddingType,
            ["num_labels"] = c.NumLabels.ToString(inv),
            ["labels"] = string.Join(",", Enumerable.Range(0, c.NumLabels).Select(c.LabelName)),
            ["dpbert_pooler_input"] = TokenPoolings.Name(c.PoolerInput),
        };
    }
}

/// <summary>One step of <see cref="ModelSoup.Greedy"/>.</summary>
/// <param name="Ingredient">Index of the model tried.</param>
/// <param name="OwnScore">Its held-out score alone.</param>
/// <param name="SoupScore">The held-out score of the soup with it.</param>
/// <param name="Kept">Whether it stayed in the soup.</param>
public sealed record SoupStep(int Ingredient, double OwnScore, double SoupScore, bool Kept);
