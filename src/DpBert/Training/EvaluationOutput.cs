using DpBert.Bert;

namespace DpBert.Training;

/// <summary>Predictions of a model over an evaluation set, in dataset order.</summary>
/// <param name="Logits">Raw outputs (N, num_labels).</param>
/// <param name="PredictedLabels">Argmax class per example (classification; empty for regression).</param>
/// <param name="PredictedScores">Predicted value per example (regression; empty for classification).</param>
/// <param name="Loss">Mean loss over the labelled examples (NaN when none is labelled).</param>
public sealed record EvaluationOutput(float[] Logits, int[] PredictedLabels, float[] PredictedScores, double Loss)
{
    /// <summary>Runs <paramref name="model"/> (no dropout, every layer) over <paramref name="data"/> in order, in batches of <paramref name="batchSize"/>.</summary>
    public static EvaluationOutput Predict(BertForSequenceClassification model, EncodedDataset data, int batchSize)
    {
        int labels = model.Config.NumLabels;
        var logits = new float[data.Count * labels];
        foreach (var (start, _, batch) in data.InBatches(batchSize, model.Config.PadTokenId))
            model.Forward(batch).CopyTo(logits, start * labels);
        return FromLogits(logits, data, labels, model.IsRegression);
    }

    /// <summary>
    /// Predictions and mean loss (cross-entropy, or squared error for regression) from the logits of every
    /// example of <paramref name="data"/>, in order.
    /// </summary>
    public static EvaluationOutput FromLogits(float[] logits, EncodedDataset data, int labelsCount, bool regression)
    {
        int n = data.Count;
        double lossSum = 0;
        int counted = 0;
        var predicted = regression ? [] : new int[n];
        var scores = regression ? new float[n] : [];
        for (int i = 0; i < n; i++)
        {
            var row = logits.AsSpan(i * labelsCount, labelsCount);
            if (regression)
            {
                scores[i] = row[0];
                if (!float.IsNaN(data.Scores[i])) { lossSum += (row[0] - data.Scores[i]) * (double)(row[0] - data.Scores[i]); counted++; }
                continue;
            }
            int best = 0;
            for (int j = 1; j < labelsCount; j++) if (row[j] > row[best]) best = j;
            predicted[i] = best;
            if (data.Labels[i] >= 0)
            {
                double max = row[best], sum = 0;
                for (int j = 0; j < labelsCount; j++) sum += Math.Exp(row[j] - max);
                lossSum += Math.Log(sum) + max - row[data.Labels[i]];
                counted++;
            }
        }
        return new EvaluationOutput(logits, predicted, scores, counted == 0 ? double.NaN : lossSum / counted);
    }
}
