namespace DpBert.Tensors;

/// <summary>Losses with their gradients, as PyTorch's <c>CrossEntropyLoss</c> and <c>MSELoss</c> (mean reduction).</summary>
public static class Losses
{
    /// <summary>
    /// Mean cross-entropy of <paramref name="rows"/> rows of <paramref name="classes"/> logits against integer
    /// labels; writes <c>dlogits = (softmax - onehot) / counted</c>. Labels equal to <paramref name="ignoreIndex"/>
    /// (e.g. -100 for unmasked MLM positions) contribute nothing and are not counted.
    /// </summary>
    /// <returns>The mean loss (0 when no row counts).</returns>
    public static float CrossEntropy(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int classes, int ignoreIndex = -100)
    {
        int counted = 0;
        for (int r = 0; r < rows; r++) if (labels[r] != ignoreIndex) counted++;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * classes, classes);
            var grad = dlogits.Slice(r * classes, classes);
            int label = labels[r];
            if (label == ignoreIndex) { grad.Clear(); continue; }
            if ((uint)label >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(labels), $"label {label} of row {r} is outside [0, {classes})");
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = Math.Max(max, row[j]);
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.Exp(row[j] - max);
            double logSum = Math.Log(sum) + max;
            total += logSum - row[label];
            for (int j = 0; j < classes; j++)
                grad[j] = (float)((Math.Exp(row[j] - logSum) - (j == label ? 1.0 : 0.0)) / counted);
        }
        return counted == 0 ? 0f : (float)(total / counted);
    }

    /// <summary>Mean squared error of <paramref name="predictions"/> against <paramref name="targets"/>; writes <c>d = 2 (y - t) / n</c>.</summary>
    public static float MeanSquaredError(Span<float> dpredictions, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
    {
        int n = predictions.Length;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double d = predictions[i] - (double)targets[i];
            total += d * d;
            dpredictions[i] = (float)(2 * d / n);
        }
        return n == 0 ? 0f : (float)(total / n);
    }
}
