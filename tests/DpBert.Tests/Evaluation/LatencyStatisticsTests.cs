using DpBert.Evaluation;

namespace DpBert.Tests.Evaluation;

public class LatencyStatisticsTests
{
    [Fact]
    public void Percentiles_interpolate_like_numpy()
    {
        // numpy.percentile([1..10], [50, 90, 99]) = 5.5, 9.1, 9.91
        var stats = LatencyStatistics.From(Enumerable.Range(1, 10).Select(i => (double)i).Reverse().ToList());
        Assert.Equal(10, stats.Count);
        Assert.Equal(5.5, stats.MeanMs, 12);
        Assert.Equal(5.5, stats.P50Ms, 12);
        Assert.Equal(9.1, stats.P90Ms, 12);
        Assert.Equal(9.91, stats.P99Ms, 12);
        var one = LatencyStatistics.From([3.0]);
        Assert.Equal((3.0, 3.0, 3.0), (one.P50Ms, one.P90Ms, one.P99Ms));
    }

    [Fact]
    public void Bad_samples_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => LatencyStatistics.From([]));
        Assert.Contains("-1", Assert.Throws<ArgumentException>(() => LatencyStatistics.From([1.0, -1.0])).Message);
        Assert.Throws<ArgumentException>(() => LatencyStatistics.From([double.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencyStatistics.Percentile([1.0], 1.5));
    }
}
