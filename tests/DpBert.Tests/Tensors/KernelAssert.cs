using DpBert.Tensors;

namespace DpBert.Tests.Tensors;

/// <summary>Helpers shared by the kernel tests: random data and element-wise comparison with a readable failure.</summary>
internal static class KernelAssert
{
    public static IEnumerable<SimdWidth> SupportedWidths() =>
        new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(Simd.IsSupported);

    public static TheoryData<SimdWidth> Widths()
    {
        var data = new TheoryData<SimdWidth>();
        foreach (var w in SupportedWidths()) data.Add(w);
        return data;
    }

    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }

    /// <summary>Fails naming the first bad index with both values, when |a - e| > abs + rel * |e|.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double abs, double rel, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs((double)actual[i] - expected[i]);
            double allowed = abs + rel * Math.Abs(expected[i]);
            if (!(err <= allowed) && (worstIndex < 0 || err - allowed > worst)) { worst = err - allowed; worstIndex = i; }
        }
        if (worstIndex >= 0)
            Assert.Fail($"{what}: element {worstIndex} is {actual[worstIndex]:R}, expected {expected[worstIndex]:R} (abs err {Math.Abs(actual[worstIndex] - expected[worstIndex]):G3}, allowed {abs} + {rel}*|e|)");
    }
}
