using Microsoft.ML;
using Microsoft.ML.Data;

namespace DpBert.Benchmarks;

/// <summary>
/// The logistic regression the development probes fit (<see cref="OracleProbe"/>, <see cref="PlanPredictabilityProbe"/>):
/// ML.NET's L-BFGS on features standardised to zero mean and unit variance (the mean and variance taken on the rows it is
/// fitted on), an L2 penalty (weight 1.0 unless given) and no L1 penalty.
/// </summary>
internal static class LogisticFit
{
    private sealed class Example
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class Scored
    {
        public float Probability { get; set; }
    }

    /// <summary>
    /// Fits on <paramref name="features"/> and <paramref name="labels"/>; returns the probability of a true label for each
    /// row of <paramref name="test"/> (1 or 0 for every row when every label is the same). ML.NET adds the L2 penalty to
    /// the sum of the rows' losses, so one weight pulls harder on fewer rows.
    /// </summary>
    public static double[] FitAndPredict(float[][] features, bool[] labels, float[][] test, float l2 = 1f)
    {
        int positives = labels.Count(x => x);
        if (positives == 0 || positives == labels.Length) return Enumerable.Repeat(positives == 0 ? 0.0 : 1.0, test.Length).ToArray();
        var ml = new MLContext(seed: 0);
        var fitted = Pipeline(ml, l2).Fit(Load(ml, features, labels));
        var scored = fitted.Transform(Load(ml, test, null));
        return ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: false).Select(s => (double)s.Probability).ToArray();
    }

    /// <summary>
    /// Out-of-fold probabilities: the rows split into <paramref name="folds"/> contiguous folds (in the order given), each
    /// predicted by a model fitted on the other folds.
    /// </summary>
    public static double[] CrossFitted(float[][] features, bool[] labels, int folds, float l2 = 1f)
    {
        int n = features.Length;
        if (folds < 2 || folds > n) throw new ArgumentOutOfRangeException(nameof(folds), $"{folds} folds for {n} rows");
        var probability = new double[n];
        for (int f = 0; f < folds; f++)
        {
            int start = (int)((long)f * n / folds), end = (int)((long)(f + 1) * n / folds);
            var trainRows = Enumerable.Range(0, n).Where(i => i < start || i >= end).ToArray();
            FitAndPredict(trainRows.Select(i => features[i]).ToArray(), trainRows.Select(i => labels[i]).ToArray(), features[start..end], l2)
                .CopyTo(probability, start);
        }
        return probability;
    }

    /// <summary>5-fold cross-validated ROC AUC and accuracy (ML.NET's own folds).</summary>
    public static (double Auc, double Accuracy) CrossValidate(float[][] features, bool[] labels)
    {
        var ml = new MLContext(seed: 0);
        var folds = ml.BinaryClassification.CrossValidate(Load(ml, features, labels), Pipeline(ml, 1f), numberOfFolds: 5);
        return (folds.Average(f => f.Metrics.AreaUnderRocCurve), folds.Average(f => f.Metrics.Accuracy));
    }

    // NormalizeMeanVariance centres only with fixZero: false, and the L-BFGS trainer's L1 weight defaults to 1.
    private static IEstimator<ITransformer> Pipeline(MLContext ml, float l2) =>
        ml.Transforms.NormalizeMeanVariance(nameof(Example.Features), fixZero: false)
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(l1Regularization: 0f, l2Regularization: l2));

    private static IDataView Load(MLContext ml, float[][] features, bool[]? labels)
    {
        var schema = SchemaDefinition.Create(typeof(Example));
        schema[nameof(Example.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features[0].Length);
        return ml.Data.LoadFromEnumerable(features.Select((f, i) => new Example { Features = f, Label = labels?[i] ?? false }), schema);
    }
}
