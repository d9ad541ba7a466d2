using DpBert.Tensors;

namespace DpBert.Tests.Tensors;

/// <summary>
/// Every backward kernel against central finite differences of an independent double-precision forward
/// written here, on tiny shapes. Failures report the element, both values and the errors.
/// </summary>
public class BackwardKernelTests
{
    private const double Step = 1e-4;

    /// <summary>Numerical gradient of <c>sum(w * f(x))</c> with respect to x, w a fixed random weighting.</summary>
    private static double[] NumericalGradient(double[] x, double[] w, Func<double[], double[]> f)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x[i];
            x[i] = saved + Step; double up = Dot(w, f(x));
            x[i] = saved - Step; double down = Dot(w, f(x));
            x[i] = saved;
            g[i] = (up - down) / (2 * Step);
        }
        return g;
    }

    private static double Dot(double[] a, double[] b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }
    private static double[] D(float[] x) => x.Select(v => (double)v).ToArray();
    private static float[] F(double[] x) => x.Select(v => (float)v).ToArray();

    private static void Compare(double[] expected, ReadOnlySpan<float> actual, string what, double abs = 2e-5, double rel = 2e-3)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            Assert.True(err <= abs + rel * Math.Abs(expected[i]),
                $"{what}[{i}]: analytic {actual[i]:G7}, numerical {expected[i]:G7}, abs err {err:G3}, rel err {err / Math.Max(1e-12, Math.Abs(expected[i])):G3}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(2, 37)]
    public void LayerNorm_backward_matches_finite_differences(int rows, int c)
    {
        var x = KernelAssert.Random(rows * c, 1, 2f);
        var weight = KernelAssert.Random(c, 2);
        var bias = KernelAssert.Random(c, 3);
        var w = D(KernelAssert.Random(rows * c, 4));
        const double eps = 1e-5;
        double[] Forward(double[] xs, double[] gamma, double[] beta)
        {
            var y = new double[rows * c];
            for (int r = 0; r < rows; r++)
            {
                double m = 0, v = 0;
                for (int i = 0; i < c; i++) m += xs[r * c + i];
                m /= c;
                for (int i = 0; i < c; i++) v += (xs[r * c + i] - m) * (xs[r * c + i] - m);
                v /= c;
                for (int i = 0; i < c; i++) y[r * c + i] = (xs[r * c + i] - m) / Math.Sqrt(v + eps) * gamma[i] + beta[i];
            }
            return y;
        }
        double[] xd = D(x), gd = D(weight), bd = D(bias);
        var y = new float[rows * c]; var mean = new float[rows]; var rstd = new float[rows];
        LayerNorm.Forward(y, mean, rstd, x, weight, bias, rows, c, (float)eps);
        var dx = new float[rows * c]; var dw = new float[c]; var db = new float[c];
        LayerNormBackward.Backward(dx, dw, db, F(w), x, weight, mean, rstd, rows, c);
        Compare(NumericalGradient(xd, w, v => Forward(v, gd, bd)), dx, "dx");
        Compare(NumericalGradient(gd, w, v => Forward(xd, v, bd)), dw, "dweight");
        Compare(NumericalGradient(bd, w, v => Forward(xd, gd, v)), db, "dbias");
    }

    [Fact]
    public void Gelu_backward_matches_finite_differences()
    {
        var x = KernelAssert.Random(200, 5, 5f);
        var w = D(KernelAssert.Random(200, 6));
        var dx = new float[200];
        ActivationBackward.Gelu(dx, F(w), x);
        var expected = NumericalGradient(D(x), w, v => v.Select(t => 0.5 * t * (1 + Erf.Reference(t / Math.Sqrt(2)))).ToArray());
        Compare(expected, dx, "gelu dx", abs: 1e-6, rel: 1e-5);
        var inPlace = F(w);
        ActivationBackward.GeluInPlace(inPlace, x);
        KernelAssert.Close(dx, inPlace, 1e-6, 1e-5, "vectorised gelu backward");
    }

    [Fact]
    public void Tanh_backward_matches_finite_differences()
    {
        var x = KernelAssert.Random(50, 7, 3f);
        var y = new float[50];
        Tanh.ForwardReference(y, x);
        var w = D(KernelAssert.Random(50, 8));
        var dx = new float[50];
        ActivationBackward.Tanh(dx, F(w), y);
        Compare(NumericalGradient(D(x), w, v => v.Select(Math.Tanh).ToArray()), dx, "tanh dx", abs: 1e-6, rel: 1e-5);
    }

    [Fact]
    public void Softmax_backward_with_mask_and_scale_matches_finite_differences()
    {
        const int n = 9;
        const float scale = 0.37f;
        var s = KernelAssert.Random(n, 9, 3f);
        var mask = new float[n];
        mask[4] = float.MinValue;
        var p = (float[])s.Clone();
        Softmax.ForwardReference(p, scale, mask);
        var w = D(KernelAssert.Random(n, 10));
        var ds = new float[n];
        ActivationBackward.Softmax(ds, F(w), p, scale);
        double[] Forward(double[] v)
        {
            var z = v.Select((t, i) => i == 4 ? double.NegativeInfinity : t * scale).ToArray();
            double max = z.Max(), sum = z.Sum(t => Math.Exp(t - max));
            return z.Select(t => Math.Exp(t - max) / sum).ToArray();
        }
        Compare(NumericalGradient(D(s), w, Forward), ds, "softmax ds", abs: 1e-6, rel: 1e-4);
        Assert.Equal(0f, ds[4]);
    }

    [Fact]
    public void Cross_entropy_and_mse_gradients_match_finite_differences()
    {
        const int rows = 4, classes = 3;
        var logits = KernelAssert.Random(rows * classes, 11, 2f);
        int[] labels = [2, -100, 0, 1];
        var dLogits = new float[rows * classes];
        float loss = Losses.CrossEntropy(dLogits, logits, labels, rows, classes);
        double Ce(double[] z)
        {
            double total = 0; int counted = 0;
            for (int r = 0; r < rows; r++)
            {
                if (labels[r] < 0) continue;
                counted++;
                var row = z.Skip(r * classes).Take(classes).ToArray();
                double max = row.Max();
                total += Math.Log(row.Sum(t => Math.Exp(t - max))) + max - row[labels[r]];
            }
            return total / counted;
        }
        Assert.Equal(Ce(D(logits)), loss, 5);
        Compare(NumericalGradient(D(logits), [1.0], z => [Ce(z)]), dLogits, "cross-entropy dlogits", abs: 1e-6, rel: 1e-4);
        Assert.All(dLogits.Skip(classes).Take(classes), v => Assert.Equal(0f, v));

        var pred = KernelAssert.Random(5, 12);
        var target = KernelAssert.Random(5, 13);
        var dPred = new float[5];
        float mse = Losses.MeanSquaredError(dPred, pred, target);
        double Mse(double[] v) => v.Select((t, i) => (t - target[i]) * (t - target[i])).Average();
        Assert.Equal(Mse(D(pred)), mse, 5);
        Compare(NumericalGradient(D(pred), [1.0], v => [Mse(v)]), dPred, "mse dpred", abs: 1e-6, rel: 1e-4);
    }

    [Fact]
    public void Dropout_keeps_about_1_minus_p_scales_and_its_backward_uses_the_same_mask()
    {
        var x = Enumerable.Repeat(1f, 10001).ToArray();
        Dropout.Forward(x, 0.25f, seed: 42);
        int kept = x.Count(v => v != 0);
        Assert.InRange(kept, 7300, 7700);
        for (int i = 0; i < x.Length; i++)
        {
            // Every element, vector body and scalar tail alike, follows the scalar definition.
            Assert.Equal(Dropout.Keeps(42, i, 0.25f) ? 1f / 0.75f : 0f, x[i], 6);
        }
        var dy = Enumerable.Repeat(2f, 10001).ToArray();
        Dropout.Backward(dy, 0.25f, seed: 42);
        for (int i = 0; i < dy.Length; i++) Assert.Equal(x[i] * 2f, dy[i], 5);
        var other = Enumerable.Repeat(1f, 10001).ToArray();
        Dropout.Forward(other, 0.25f, seed: 43);
        Assert.NotEqual(x, other);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward(x, 1f, 1));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gelu_backward_at_every_width_matches_the_scalar_form(SimdWidth width)
    {
        for (int n = 0; n <= 256; n++)
        {
            var x = KernelAssert.Random(n, 100 + n, 5f);
            var d = KernelAssert.Random(n, 200 + n);
            var expected = new float[n];
            ActivationBackward.Gelu(expected, d, x);
            var actual = (float[])d.Clone();
            Gelu.BackwardInPlace(width, actual, x);
            KernelAssert.Close(expected, actual, 1e-6, 1e-5, $"gelu backward {width} n={n}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void LayerNorm_backward_at_every_width_matches_the_scalar_path(SimdWidth width)
    {
        foreach (int c in new[] { 1, 15, 16, 37, 64, 256 })
        {
            const int rows = 3;
            var x = KernelAssert.Random(rows * c, c, 2f);
            var weight = KernelAssert.Random(c, c + 1);
            var bias = KernelAssert.Random(c, c + 2);
            var dy = KernelAssert.Random(rows * c, c + 3);
            var y = new float[rows * c]; var mean = new float[rows]; var rstd = new float[rows];
            LayerNorm.Forward(y, mean, rstd, x, weight, bias, rows, c, 1e-12f);
            var (dx0, dw0, db0) = (new float[rows * c], new float[c], new float[c]);
            var (dx1, dw1, db1) = (new float[rows * c], new float[c], new float[c]);
            LayerNormBackward.Backward(SimdWidth.Scalar, dx0, dw0, db0, dy, x, weight, mean, rstd, rows, c);
            LayerNormBackward.Backward(width, dx1, dw1, db1, dy, x, weight, mean, rstd, rows, c);
            KernelAssert.Close(dx0, dx1, 1e-5, 1e-4, $"dx {width} c={c}");
            KernelAssert.Close(dw0, dw1, 1e-5, 1e-4, $"dweight {width} c={c}");
            KernelAssert.Close(db0, db1, 1e-6, 1e-5, $"dbias {width} c={c}");
        }
    }

    public static TheoryData<SimdWidth> Widths => KernelAssert.Widths();
}
