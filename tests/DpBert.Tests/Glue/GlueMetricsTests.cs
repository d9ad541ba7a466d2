using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>Metric values computed by hand (formulas in the comments) or taken from the scikit-learn and SciPy documentation.</summary>
public sealed class GlueMetricsTests
{
    [Fact]
    public void Accuracy_is_the_fraction_correct()
    {
        Assert.Equal(0.6, GlueMetrics.Accuracy([1, 0, 2, 1, 0], [1, 0, 1, 1, 2]), 1e-15);
        Assert.Equal(1.0, GlueMetrics.Accuracy([3], [3]));
    }

    [Fact]
    public void F1_of_the_positive_class()
    {
        // TP = 2 (rows 0, 4), FP = 1 (row 1), FN = 1 (row 3): F1 = 2·2 / (2·2 + 1 + 1) = 4/6.
        Assert.Equal(4.0 / 6, GlueMetrics.F1([1, 1, 0, 0, 1], [1, 0, 0, 1, 1]), 1e-15);
        Assert.Equal(1.0, GlueMetrics.F1([1, 0, 1], [1, 0, 1]));
        // Positive class 0 instead: TP = 1 (row 2), FP = 1 (row 3), FN = 1 (row 1): 2/4.
        Assert.Equal(0.5, GlueMetrics.F1([1, 1, 0, 0, 1], [1, 0, 0, 1, 1], positiveLabel: 0), 1e-15);
    }

    [Fact]
    public void F1_edge_cases_are_zero_like_scikit_learn()
    {
        // No positive predictions: precision is 0/0, F1 = 2·0 / (0 + 0 + 2) = 0.
        Assert.Equal(0.0, GlueMetrics.F1([0, 0, 0], [1, 0, 1]));
        // Only wrong positive predictions: F1 = 0 / (0 + 2 + 1).
        Assert.Equal(0.0, GlueMetrics.F1([1, 1, 0], [0, 0, 1]));
        // No positives anywhere: 0/0, which scikit-learn reports as 0 (zero_division).
        Assert.Equal(0.0, GlueMetrics.F1([0, 0], [0, 0]));
    }

    [Fact]
    public void Matthews_correlation_of_a_binary_confusion_matrix()
    {
        // TP = 5, TN = 3, FP = 2, FN = 1:
        // MCC = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (15 − 2) / √(7·6·5·4) = 13/√840 = 0.44854261357253...
        int[] gold = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1];
        int[] predicted = [1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0];
        Assert.Equal(13 / Math.Sqrt(840), GlueMetrics.MatthewsCorrelation(predicted, gold), 1e-15);
        Assert.Equal(0.4485426135725303, GlueMetrics.MatthewsCorrelation(predicted, gold), 1e-15);
        // Symmetric in its arguments.
        Assert.Equal(13 / Math.Sqrt(840), GlueMetrics.MatthewsCorrelation(gold, predicted), 1e-15);
    }

    [Fact]
    public void Matthews_correlation_matches_the_scikit_learn_documentation_example()
    {
        // sklearn.metrics.matthews_corrcoef: y_true = [+1, +1, +1, -1], y_pred = [+1, -1, +1, +1] gives -0.33...
        Assert.Equal(-1.0 / 3, GlueMetrics.MatthewsCorrelation([1, -1, 1, 1], [1, 1, 1, -1]), 1e-15);
    }

    [Fact]
    public void Matthews_correlation_multiclass_form()
    {
        // gold [0,1,2,0,1,2], predicted [0,1,1,0,0,2]: s = 6, c = 4, gold counts t = (2,2,2), predicted counts p = (3,2,1).
        // (c·s − Σp·t) / √((s² − Σp²)(s² − Σt²)) = (24 − 12) / √((36 − 14)(36 − 12)) = 12/√528.
        Assert.Equal(12 / Math.Sqrt(528), GlueMetrics.MatthewsCorrelation([0, 1, 1, 0, 0, 2], [0, 1, 2, 0, 1, 2]), 1e-15);
        Assert.Equal(1.0, GlueMetrics.MatthewsCorrelation([0, 1, 2], [0, 1, 2]), 1e-15);
        Assert.Equal(-1.0, GlueMetrics.MatthewsCorrelation([1, 0, 1, 0], [0, 1, 0, 1]), 1e-15);
    }

    [Fact]
    public void Matthews_correlation_is_zero_when_undefined()
    {
        Assert.Equal(0.0, GlueMetrics.MatthewsCorrelation([1, 1, 1, 1], [1, 0, 1, 0])); // constant prediction
        Assert.Equal(0.0, GlueMetrics.MatthewsCorrelation([1, 0, 1, 0], [1, 1, 1, 1])); // constant gold
        Assert.Equal(0.0, GlueMetrics.MatthewsCorrelation([0], [0]));
    }

    [Fact]
    public void Pearson_matches_the_scipy_documentation_example()
    {
        // scipy.stats.pearsonr([1, 2, 3, 4, 5], [10, 9, 2.5, 6, 4]) = -0.7426106572325057.
        // By hand: centred x = (−2,−1,0,1,2), centred y = (3.7,2.7,−3.8,−0.3,−2.3); Σxy = −15, Σx² = 10, Σy² = 40.8: −15/√408.
        Assert.Equal(-15 / Math.Sqrt(408), GlueMetrics.Pearson([1, 2, 3, 4, 5], [10, 9, 2.5f, 6, 4]), 1e-12);
        Assert.Equal(-0.7426106572325057, GlueMetrics.Pearson([1, 2, 3, 4, 5], [10, 9, 2.5f, 6, 4]), 1e-12);
        Assert.Equal(1.0, GlueMetrics.Pearson([1, 2, 3], [2, 4, 6]), 1e-15);
    }

    [Fact]
    public void Spearman_gives_ties_their_average_rank()
    {
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233.
        // Ranks of y: 5→1, 6→2, the two 7s share (3+4)/2 = 3.5, 8→5. Pearson of (1..5) and (1,2,3.5,5,3.5):
        // centred (−2,−1,0,1,2) and (−2,−1,0.5,2,0.5): Σ = 8, Σx² = 10, Σy² = 9.5: 8/√95.
        Assert.Equal(8 / Math.Sqrt(95), GlueMetrics.Spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 1e-12);
        Assert.Equal(0.8207826816681233, GlueMetrics.Spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 1e-12);
        // Monotone but not linear: Spearman 1, Pearson below 1.
        Assert.Equal(1.0, GlueMetrics.Spearman([1, 2, 3, 4], [1, 10, 100, 1000]), 1e-15);
        Assert.True(GlueMetrics.Pearson([1, 2, 3, 4], [1, 10, 100, 1000]) < 0.9);
    }

    [Fact]
    public void Average_ranks_of_runs_of_ties()
    {
        Assert.Equal([2.5, 1, 2.5, 5, 5, 5, 7], GlueMetrics.AverageRanks([3, 1, 3, 4, 4, 4, 9]));
        Assert.Equal([1.5, 1.5], GlueMetrics.AverageRanks([-0f, 0f]));
    }

    [Fact]
    public void Correlations_of_constant_or_nan_inputs_are_nan_like_scipy()
    {
        Assert.True(double.IsNaN(GlueMetrics.Pearson([2, 2, 2], [1, 2, 3])));
        Assert.True(double.IsNaN(GlueMetrics.Spearman([1, 2, 3], [4, 4, 4])));
        Assert.True(double.IsNaN(GlueMetrics.Pearson([1, float.NaN, 3], [1, 2, 3])));
        Assert.True(double.IsNaN(GlueMetrics.Spearman([1, float.NaN, 3], [1, 2, 3])));
    }

    [Fact]
    public void Inputs_must_pair_up()
    {
        var error = Assert.Throws<ArgumentException>(() => GlueMetrics.Accuracy([1, 0], [1]));
        Assert.Contains("2 predictions for 1 gold values", error.Message);
        Assert.Throws<ArgumentException>(() => GlueMetrics.F1([], []));
        Assert.Throws<ArgumentException>(() => GlueMetrics.MatthewsCorrelation([], []));
        Assert.Throws<ArgumentException>(() => GlueMetrics.Pearson([1], [1]));
        Assert.Throws<ArgumentException>(() => GlueMetrics.Spearman([1, 2], [1, 2, 3]));
    }
}
