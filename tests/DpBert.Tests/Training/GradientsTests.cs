using DpBert.Bert;
using DpBert.Training;

namespace DpBert.Tests.Training;

public class GradientsTests
{
    // Two tensors holding the vector (3, 4): norm 5.
    private static ParameterSet ThreeFour()
    {
        var g = new ParameterSet([("a.weight", [1]), ("b.weight", [1])]);
        g.Data[0] = 3; g.Data[1] = 4;
        return g;
    }

    [Fact]
    public void Norm_of_3_4_is_5()
    {
        Assert.Equal(5.0, Gradients.GlobalNorm(ThreeFour()));
        Assert.Equal(3.0, Gradients.GlobalNorm(ThreeFour(), name => name != "b.weight"));
    }

    [Fact]
    public void Norm_matches_a_plain_double_sum()
    {
        var g = new ParameterSet([("x.weight", [37, 29]), ("x.bias", [13])]);
        var rng = new Random(7);
        for (int i = 0; i < g.Data.Length; i++) g.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        double sum = 0;
        foreach (float x in g.Data) sum += (double)x * x;
        Assert.Equal(Math.Sqrt(sum), Gradients.GlobalNorm(g), 1e-12);
    }

    [Fact]
    public void Clipping_scales_to_the_maximum_norm_and_returns_the_norm_before()
    {
        // Coefficient 1 / (5 + 1e-6): (3, 4) -> (0.6, 0.8) up to 1e-7 relative.
        var g = ThreeFour();
        Assert.Equal(5.0, Gradients.ClipGlobalNorm(g, 1.0));
        float c = (float)(1.0 / (5 + 1e-6));
        Assert.Equal(3f * c, g.Data[0]);
        Assert.Equal(4f * c, g.Data[1]);
        Assert.Equal(0.6f, g.Data[0], 1e-6f);
        Assert.Equal(0.8f, g.Data[1], 1e-6f);
        Assert.Equal(1.0, Gradients.GlobalNorm(g), 1e-6);
    }

    [Fact]
    public void Clipping_below_the_maximum_is_a_no_op()
    {
        var g = ThreeFour();
        Assert.Equal(5.0, Gradients.ClipGlobalNorm(g, 10.0));
        Assert.Equal([3f, 4f], g.Data);
        Assert.Equal(5.0, Gradients.ClipGlobalNorm(g, 5.0)); // 5 / (5 + 1e-6) < 1 clips, by a hair, as PyTorch does
        Assert.True(g.Data[0] < 3f);
    }

    [Fact]
    public void Clipping_leaves_excluded_gradients_alone()
    {
        var g = ThreeFour();
        Assert.Equal(3.0, Gradients.ClipGlobalNorm(g, 1.5, name => name == "a.weight"));
        Assert.Equal(1.5f, g.Data[0], 1e-6f);
        Assert.Equal(4f, g.Data[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gradients.ClipGlobalNorm(g, 0));
    }

    [Fact]
    public void Accumulated_gradients_are_averaged_by_scaling_then_zeroed()
    {
        // Two micro-batches add into the same block (no zeroing between); scaling by 1/2 averages them.
        var g = ThreeFour();
        g.Data[0] += 5; g.Data[1] += 6;
        Gradients.Scale(g, 0.5f);
        Assert.Equal([4f, 5f], g.Data);
        Gradients.Zero(g);
        Assert.Equal([0f, 0f], g.Data);
    }
}
