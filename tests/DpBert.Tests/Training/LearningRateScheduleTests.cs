using DpBert.Training;

namespace DpBert.Tests.Training;

public class LearningRateScheduleTests
{
    // T = 10 updates, W = 2 warm-up. Update s (1-based) uses HF's lr_lambda(s0) with s0 = s - 1.
    private static double[] Factors(string name) =>
        Enumerable.Range(1, 10).Select(LearningRateSchedule.Create(name, 10, warmupSteps: 2).Factor).ToArray();

    private static void Equal(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-15, $"step {i + 1}: {actual[i]:R}, expected {expected[i]:R}");
    }

    [Fact]
    public void Linear_warms_up_then_decays_to_zero()
    {
        // s0 = 0, 1: s0 / 2 = 0, 0.5; s0 = 2..9: (10 - s0) / 8 = 1, 0.875, ..., 0.125.
        Equal([0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125], Factors("linear"));
        var schedule = LearningRateSchedule.Create("linear", 10, warmupSteps: 2);
        Assert.Equal(0, schedule.Factor(11));
        Assert.Equal(0, schedule.Factor(50));
        Assert.Equal(0.875e-3, schedule.RateAt(4, 1e-3), 1e-18);
    }

    [Fact]
    public void Linear_without_warm_up_starts_at_full_rate()
    {
        // s0 = 0..9: (10 - s0) / 10.
        var schedule = LearningRateSchedule.Create("linear", 10);
        Assert.Equal(1.0, schedule.Factor(1));
        Assert.Equal(0.1, schedule.Factor(10), 15);
    }

    [Fact]
    public void Constant_ignores_warm_up()
    {
        Equal(Enumerable.Repeat(1.0, 10).ToArray(), Factors("constant"));
    }

    [Fact]
    public void Constant_with_warmup_warms_up_then_holds()
    {
        // s0 = 0, 1: 0, 0.5; then 1.
        Equal([0, 0.5, 1, 1, 1, 1, 1, 1, 1, 1], Factors("constant_with_warmup"));
    }

    [Fact]
    public void Cosine_follows_half_a_period_after_warm_up()
    {
        // s0 >= 2: progress = (s0 - 2) / 8, factor = 0.5 * (1 + cos(pi * progress)):
        // progress 0, 1/8, 1/4, 3/8, 1/2, 5/8, 3/4, 7/8 -> 1, 0.96194, 0.85355, 0.69134, 0.5, 0.30866, 0.14645, 0.03806.
        Equal([0, 0.5, 1, 0.9619397662556434, 0.8535533905932737, 0.6913417161825449, 0.5,
            0.30865828381745514, 0.14644660940672627, 0.03806023374435663], Factors("cosine"));
        Assert.Equal(0, LearningRateSchedule.Create("cosine", 10, 2).Factor(11), 15); // progress 1: cos(pi) = -1
    }

    [Theory]
    [InlineData(10, 0.15, 2)]   // 1.5 -> 2
    [InlineData(7, 0.1, 1)]     // 0.7000000000000001 -> 1
    [InlineData(10, 0.1, 1)]    // exactly 1.0
    [InlineData(100, 0.07, 8)]  // 100 * 0.07 = 7.000000000000001 in double, so ceil gives 8, as Python does
    [InlineData(10, 0.0, 0)]
    public void Warm_up_ratio_rounds_up_as_Hugging_Face(int total, double ratio, int expected)
    {
        Assert.Equal(expected, LearningRateSchedule.ResolveWarmupSteps(total, null, ratio));
        Assert.Equal(expected, LearningRateSchedule.Create("linear", total, warmupRatio: ratio).WarmupSteps);
    }

    [Fact]
    public void Warm_up_defaults_to_none_and_takes_explicit_steps()
    {
        Assert.Equal(0, LearningRateSchedule.ResolveWarmupSteps(10, null, null));
        Assert.Equal(3, LearningRateSchedule.ResolveWarmupSteps(10, 3, null));
    }

    [Fact]
    public void Bad_names_and_arguments_fail_clearly()
    {
        var e = Assert.Throws<ArgumentException>(() => LearningRateSchedule.ParseKind("cosine_with_restarts"));
        Assert.Contains("unknown learning-rate schedule \"cosine_with_restarts\"", e.Message);
        Assert.Contains("linear, constant, constant_with_warmup, cosine", e.Message);
        e = Assert.Throws<ArgumentException>(() => LearningRateSchedule.Create("linear", 10, warmupSteps: 2, warmupRatio: 0.1));
        Assert.Contains("not both", e.Message);
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.ResolveWarmupSteps(10, null, 1.5));
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.ResolveWarmupSteps(10, -1, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Create("linear", 10).Factor(0));
        Assert.Equal(LearningRateScheduleKind.ConstantWithWarmup, LearningRateSchedule.ParseKind("constant_with_warmup"));
    }
}
