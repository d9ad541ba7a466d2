namespace DpBert.Glue;

/// <summary>
/// The GLUE metrics, computed in double precision and matching scikit-learn and SciPy on the cases that matter:
/// Matthews correlation is 0 when it is undefined (as <c>sklearn.metrics.matthews_corrcoef</c>), F1 is 0 when there
/// are no positive predictions and no positive gold labels, Spearman gives tied values their average rank
/// (as <c>scipy.stats.spearmanr</c>), and the correlations are NaN when an input is constant (as SciPy).
/// </summary>
public static class GlueMetrics
{
    /// <summary>Fraction of positions where the predicted class equals the gold class.</summary>
    /// <exception cref="ArgumentException">The lists are empty or differ in length.</exception>
    public static double Accuracy(IReadOnlyList<int> predictions, IReadOnlyList<int> gold)
    {
        RequirePairedValues(predictions, gold, minimumCount: 1);
        int correct = 0;
        for (int i = 0; i < gold.Count; i++)
            if (predictions[i] == gold[i]) correct++;
        return (double)correct / gold.Count;
    }

    /// <summary>
    /// Binary F1 of class <paramref name="positiveLabel"/> against every other class: 2·TP / (2·TP + FP + FN),
    /// and 0 when that is 0/0 (no positive predictions and no positive gold labels).
    /// </summary>
    /// <exception cref="ArgumentException">The lists are empty or differ in length.</exception>
    public static double F1(IReadOnlyList<int> predictions, IReadOnlyList<int> gold, int positiveLabel = 1)
    {
        RequirePairedValues(predictions, gold, minimumCount: 1);
        long truePositives = 0, falsePositives = 0, falseNegatives = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            bool predictedPositive = predictions[i] == positiveLabel;
            bool goldPositive = gold[i] == positiveLabel;
            if (predictedPositive && goldPositive) truePositives++;
            else if (predictedPositive) falsePositives++;
            else if (goldPositive) falseNegatives++;
        }
        long denominator = 2 * truePositives + falsePositives + falseNegatives;
        return denominator == 0 ? 0.0 : 2.0 * truePositives / denominator;
    }

    /// <summary>
    /// Matthews correlation coefficient, for two or more classes (the multiclass form of scikit-learn):
    /// (c·s − Σₖ pₖtₖ) / √((s² − Σₖ pₖ²)(s² − Σₖ tₖ²)) with s samples, c correct, pₖ and tₖ the predicted and gold
    /// counts of class k. Returns 0 when the denominator is 0 (all predictions or all gold labels one class).
    /// </summary>
    /// <exception cref="ArgumentException">The lists are empty or differ in length.</exception>
    public static double MatthewsCorrelation(IReadOnlyList<int> predictions, IReadOnlyList<int> gold)
    {
        RequirePairedValues(predictions, gold, minimumCount: 1);
        var predictedCounts = new Dictionary<int, long>();
        var goldCounts = new Dictionary<int, long>();
        long correct = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            predictedCounts[predictions[i]] = predictedCounts.GetValueOrDefault(predictions[i]) + 1;
            goldCounts[gold[i]] = goldCounts.GetValueOrDefault(gold[i]) + 1;
            if (predictions[i] == gold[i]) correct++;
        }

        // Sums of products of counts are exact in double while s² < 2^53, i.e. below about 9·10^7 samples.
        double samples = gold.Count;
        double predictedDotGold = 0, predictedDotPredicted = 0, goldDotGold = 0;
        foreach (var (label, predictedCount) in predictedCounts)
        {
            predictedDotGold += (double)predictedCount * goldCounts.GetValueOrDefault(label);
            predictedDotPredicted += (double)predictedCount * predictedCount;
        }
        foreach (long goldCount in goldCounts.Values) goldDotGold += (double)goldCount * goldCount;

        double covariance = correct * samples - predictedDotGold;
        double predictedVariance = samples * samples - predictedDotPredicted;
        double goldVariance = samples * samples - goldDotGold;
        if (predictedVariance * goldVariance == 0) return 0.0;
        return covariance / Math.Sqrt(predictedVariance * goldVariance);
    }

    /// <summary>
    /// Pearson correlation coefficient of <paramref name="predictions"/> and <paramref name="gold"/>, computed on
    /// centred values in double precision and clipped to [−1, 1]; NaN when either input is constant or holds NaN.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two values, or the lists differ in length.</exception>
    public static double Pearson(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        RequirePairedValues(predictions, gold, minimumCount: 2);
        var x = new double[gold.Count];
        var y = new double[gold.Count];
        for (int i = 0; i < x.Length; i++) { x[i] = predictions[i]; y[i] = gold[i]; }
        return PearsonOf(x, y);
    }

    /// <summary>
    /// Spearman rank correlation: the Pearson correlation of the ranks, where tied values share their average rank.
    /// NaN when either input is constant or holds NaN.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two values, or the lists differ in length.</exception>
    public static double Spearman(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        RequirePairedValues(predictions, gold, minimumCount: 2);
        for (int i = 0; i < gold.Count; i++)
            if (float.IsNaN(predictions[i]) || float.IsNaN(gold[i])) return double.NaN;
        return PearsonOf(AverageRanks(predictions), AverageRanks(gold));
    }

    /// <summary>1-based ranks in ascending order; a run of equal values gets the mean of the ranks it spans.</summary>
    internal static double[] AverageRanks(IReadOnlyList<float> values)
    {
        var order = new int[values.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => values[a].CompareTo(values[b]));

        var ranks = new double[values.Count];
        for (int runStart = 0; runStart < order.Length;)
        {
            int runEnd = runStart + 1; // exclusive
            while (runEnd < order.Length && values[order[runEnd]] == values[order[runStart]]) runEnd++;
            // Positions runStart..runEnd-1 hold ranks runStart+1..runEnd; their mean is (runStart + 1 + runEnd) / 2.
            double averageRank = (runStart + 1 + runEnd) / 2.0;
            for (int k = runStart; k < runEnd; k++) ranks[order[k]] = averageRank;
            runStart = runEnd;
        }
        return ranks;
    }

    private static double PearsonOf(double[] x, double[] y)
    {
        double meanX = 0, meanY = 0;
        for (int i = 0; i < x.Length; i++) { meanX += x[i]; meanY += y[i]; }
        meanX /= x.Length;
        meanY /= y.Length;

        double covariance = 0, varianceX = 0, varianceY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - meanX, dy = y[i] - meanY;
            covariance += dx * dy;
            varianceX += dx * dx;
            varianceY += dy * dy;
        }
        if (varianceX == 0 || varianceY == 0) return double.NaN;
        return Math.Clamp(covariance / Math.Sqrt(varianceX * varianceY), -1.0, 1.0);
    }

    private static void RequirePairedValues<T>(IReadOnlyList<T> predictions, IReadOnlyList<T> gold, int minimumCount)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(gold);
        if (predictions.Count != gold.Count)
            throw new ArgumentException($"{predictions.Count} predictions for {gold.Count} gold values: the lists must have the same length", nameof(predictions));
        if (gold.Count < minimumCount)
            throw new ArgumentException($"{gold.Count} values: the metric needs at least {minimumCount}", nameof(gold));
    }
}
