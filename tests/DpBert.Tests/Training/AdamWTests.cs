using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Tests.Tensors;
using DpBert.Training;

namespace DpBert.Tests.Training;

public class AdamWTests
{
    // 30 floats; decayed and non-decayed entries alternate so the optimizer runs several ranges, and
    // the lengths are not multiples of the vector widths.
    private static ParameterSet Tiny(float start = 0.5f)
    {
        var p = new ParameterSet([
            ("bert.embeddings.word_embeddings.weight", [3, 2]),
            ("bert.embeddings.LayerNorm.weight", [2]),
            ("bert.embeddings.LayerNorm.bias", [2]),
            ("bert.encoder.layer.0.output.dense.weight", [2, 3]),
            ("bert.encoder.layer.0.output.dense.bias", [2]),
            ("classifier.weight", [2, 5]),
            ("classifier.bias", [2]),
        ]);
        for (int i = 0; i < p.Data.Length; i++) p.Data[i] = start + 0.03f * i - (i % 3) * 0.4f;
        return p;
    }

    // Gradient number `step` (distinct per step, signs mixed, never zero).
    private static void FillGradients(ParameterSet g, int step)
    {
        for (int i = 0; i < g.Data.Length; i++)
            g.Data[i] = (float)(Math.Sin(1.3 * i + 0.7 * step) * (1 + 0.1 * step)) + (i % 2 == 0 ? 0.05f : -0.05f);
    }

    /// <summary>
    /// A separate double-precision AdamW in the textbook form (bias-corrected moments m_hat, v_hat;
    /// p -= lr * m_hat / (sqrt(v_hat) + eps)), which equals PyTorch's step_size / denom arrangement; element i's rate is
    /// lr * scale[i] when a scale is given.
    /// </summary>
    private sealed class TextbookAdamW(double[] p, bool[] decayed, bool[] trainable, double beta1, double beta2, double eps, double wd, double[]? scale = null)
    {
        public readonly double[] P = p;
        public readonly double[] M = new double[p.Length];
        public readonly double[] V = new double[p.Length];
        private int _t;

        public void Step(float[] g, double lr)
        {
            _t++;
            for (int i = 0; i < P.Length; i++)
            {
                if (!trainable[i]) continue;
                double rate = lr * (scale?[i] ?? 1);
                if (decayed[i]) P[i] -= rate * wd * P[i];
                M[i] = beta1 * M[i] + (1 - beta1) * g[i];
                V[i] = beta2 * V[i] + (1 - beta2) * g[i] * (double)g[i];
                double mHat = M[i] / (1 - Math.Pow(beta1, _t));
                double vHat = V[i] / (1 - Math.Pow(beta2, _t));
                P[i] -= rate * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
    }

    private static bool[] PerElement(ParameterSet p, Func<string, bool> predicate)
    {
        var mask = new bool[p.Data.Length];
        foreach (var info in p.Parameters)
            mask.AsSpan((int)info.Offset, info.Length).Fill(predicate(info.Name));
        return mask;
    }

    private static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);
    private static float[] ToFloat(double[] x) => Array.ConvertAll(x, v => (float)v);

    [Fact]
    public void First_step_without_decay_moves_each_parameter_by_lr_times_sign_of_gradient()
    {
        // Step 1: m = 0.1 g, v = 0.001 g^2, bias corrections 0.1 and 0.001, so m_hat = g, sqrt(v_hat) = |g|
        // and p -= lr * g / (|g| + 1e-8) = lr * sign(g) up to lr * 1e-8 / |g|.
        var p = Tiny();
        var g = p.CreateLike();
        FillGradients(g, 1);
        float[] before = (float[])p.Data.Clone();
        var adam = new AdamW(p, g, new AdamWOptions(LearningRate: 0.1));
        adam.Step(0.1);
        for (int i = 0; i < before.Length; i++)
            Assert.True(Math.Abs(p.Data[i] - (before[i] - 0.1 * Math.Sign(g.Data[i]))) <= 1e-6, $"element {i}: {p.Data[i]} from {before[i]}, g {g.Data[i]}");
        Assert.Equal(1, adam.StepCount);
    }

    [Fact]
    public void Second_step_with_reversed_gradient_moves_back_by_lr_over_19()
    {
        // g1 = a, g2 = -a. Step 2: m = 0.9 * 0.1a - 0.1a = -0.01a, v = 0.999 * 0.001a^2 + 0.001a^2 = 0.001999a^2,
        // bias corrections 1 - 0.81 = 0.19 and 1 - 0.998001 = 0.001999, so m_hat = -a/19, sqrt(v_hat) = |a|:
        // p2 = p1 + lr * sign(a) / 19.
        var p = Tiny();
        var g = p.CreateLike();
        FillGradients(g, 1);
        float[] first = (float[])g.Data.Clone();
        var adam = new AdamW(p, g, new AdamWOptions(LearningRate: 0.1));
        adam.Step(0.1);
        float[] afterOne = (float[])p.Data.Clone();
        for (int i = 0; i < first.Length; i++) g.Data[i] = -first[i];
        adam.Step(0.1);
        for (int i = 0; i < first.Length; i++)
            Assert.True(Math.Abs(p.Data[i] - (afterOne[i] + 0.1 * Math.Sign(first[i]) / 19)) <= 1e-6, $"element {i}");
    }

    [Fact]
    public void Three_steps_with_decay_and_changing_rate_match_a_double_precision_textbook_AdamW() =>
        ThreeStepsMatchTextbook(new AdamWOptions(LearningRate: 0.02, Beta1: 0.85, Beta2: 0.99, Epsilon: 1e-6, WeightDecay: 0.1), null, null);

    // Three steps at rates 0.02, 0.05, 0.01 from Tiny(), each checked against the textbook AdamW (parameters and moments).
    private static void ThreeStepsMatchTextbook(AdamWOptions options, Func<string, double>? scales, double[]? scale)
    {
        var p = Tiny();
        var g = p.CreateLike();
        var adam = new AdamW(p, g, options, learningRateScale: scales);
        var reference = new TextbookAdamW(ToDouble(p.Data), PerElement(p, WeightDecayGrouping.IsDecayed), PerElement(p, _ => true),
            options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay, scale);
        double[] rates = [0.02, 0.05, 0.01];
        for (int s = 0; s < rates.Length; s++)
        {
            FillGradients(g, s + 1);
            adam.Step(rates[s]);
            reference.Step(g.Data, rates[s]);
            KernelAssert.Close(ToFloat(reference.P), p.Data, 1e-6, 1e-6, $"parameters after step {s + 1}");
            KernelAssert.Close(ToFloat(reference.M), adam.FirstMoment.Data, 1e-7, 1e-6, $"m after step {s + 1}");
            KernelAssert.Close(ToFloat(reference.V), adam.SecondMoment.Data, 1e-9, 1e-6, $"v after step {s + 1}");
        }
        Assert.Equal(3, p.Version);
    }

    [Fact]
    public void Layerwise_rates_match_a_textbook_AdamW_with_each_parameter_at_its_own_rate()
    {
        // One encoder layer, decay 0.5: the embeddings train at lr / 4, layer 0 at lr / 2, the classifier at lr;
        // weight decay uses the same scaled rate (PyTorch: one parameter group per rate).
        var scales = LayerwiseLearningRate.Scales(numLayers: 1, decay: 0.5)!;
        var fresh = Tiny();
        var scale = new double[fresh.Data.Length];
        foreach (var info in fresh.Parameters)
            scale.AsSpan((int)info.Offset, info.Length).Fill(info.Name.StartsWith("bert.embeddings.", StringComparison.Ordinal) ? 0.25 : info.Name.StartsWith("bert.encoder.layer.0.", StringComparison.Ordinal) ? 0.5 : 1);
        ThreeStepsMatchTextbook(new AdamWOptions(LearningRate: 0.02, WeightDecay: 0.1), scales, scale);
        // The first step alone moves each parameter by about its own rate: 0.02 * scale.
        float[] before = (float[])fresh.Data.Clone();
        var g = fresh.CreateLike();
        FillGradients(g, 1);
        new AdamW(fresh, g, new AdamWOptions(LearningRate: 0.02), learningRateScale: scales).Step();
        for (int i = 0; i < before.Length; i++)
            Assert.True(Math.Abs(Math.Abs(fresh.Data[i] - before[i]) - 0.02 * scale[i]) <= 1e-6, $"element {i}: moved {fresh.Data[i] - before[i]}, scale {scale[i]}");
    }

    [Fact]
    public void A_learning_rate_scale_that_is_not_positive_and_finite_is_rejected_with_the_key()
    {
        var p = Tiny();
        var error = Assert.Throws<ArgumentException>(() => new AdamW(p, p.CreateLike(), new AdamWOptions(0.01), learningRateScale: name => name == "classifier.bias" ? double.NaN : 1));
        Assert.Contains("classifier.bias", error.Message);
        Assert.Throws<ArgumentException>(() => new AdamW(p, p.CreateLike(), new AdamWOptions(0.01), learningRateScale: _ => 0));
    }

    [Fact]
    public void Beta1_below_one_half_and_a_large_epsilon_still_match()
    {
        // eps = 0.05 is comparable to sqrt(v_hat) here, so adding it anywhere but after the bias
        // correction of sqrt(v) would show; beta1 < 0.5 takes PyTorch's other lerp form.
        var p = Tiny();
        var g = p.CreateLike();
        var options = new AdamWOptions(LearningRate: 0.01, Beta1: 0.3, Beta2: 0.9, Epsilon: 0.05);
        var adam = new AdamW(p, g, options);
        var reference = new TextbookAdamW(ToDouble(p.Data), new bool[30], PerElement(p, _ => true), options.Beta1, options.Beta2, options.Epsilon, 0);
        for (int s = 1; s <= 3; s++)
        {
            FillGradients(g, s);
            adam.Step(0.01);
            reference.Step(g.Data, 0.01);
        }
        KernelAssert.Close(ToFloat(reference.P), p.Data, 1e-6, 1e-6, "parameters");
        KernelAssert.Close(ToFloat(reference.M), adam.FirstMoment.Data, 1e-7, 1e-6, "m");
    }

    [Fact]
    public void Weight_decay_shrinks_weights_but_not_biases_or_LayerNorm()
    {
        // Zero gradients leave m = v = 0 and the Adam term 0 / eps = 0, so only decay acts: p *= 1 - 0.1 * 0.01.
        var p = Tiny();
        var g = p.CreateLike();
        float[] before = (float[])p.Data.Clone();
        var adam = new AdamW(p, g, new AdamWOptions(LearningRate: 0.1, WeightDecay: 0.01));
        adam.Step();
        foreach (var info in p.Parameters)
        {
            bool decayed = !(info.Name.EndsWith(".bias", StringComparison.Ordinal) || info.Name.EndsWith("LayerNorm.weight", StringComparison.Ordinal));
            for (int i = (int)info.Offset; i < info.Offset + info.Length; i++)
                if (decayed) Assert.Equal(before[i] * 0.999f, p.Data[i], 1e-7f);
                else Assert.Equal(before[i], p.Data[i]);
        }
    }

    [Fact]
    public void Decay_groups_follow_the_Hugging_Face_Trainer()
    {
        Assert.True(WeightDecayGrouping.IsDecayed("bert.encoder.layer.0.attention.self.query.weight"));
        Assert.True(WeightDecayGrouping.IsDecayed("bert.embeddings.word_embeddings.weight"));
        Assert.True(WeightDecayGrouping.IsDecayed("classifier.weight"));
        Assert.False(WeightDecayGrouping.IsDecayed("classifier.bias"));
        Assert.False(WeightDecayGrouping.IsDecayed("bert.encoder.layer.0.output.LayerNorm.weight"));
        Assert.False(WeightDecayGrouping.IsDecayed("bert.embeddings.LayerNorm.bias"));
        Assert.False(WeightDecayGrouping.IsDecayed("bert.embeddings.LayerNorm.gamma"));
        Assert.False(WeightDecayGrouping.IsDecayed("bert.embeddings.LayerNorm.beta"));
    }

    [Fact]
    public void Frozen_parameters_are_untouched_and_keep_zero_moments()
    {
        var p = Tiny();
        var g = p.CreateLike();
        float[] before = (float[])p.Data.Clone();
        static bool Trainable(string name) => !name.StartsWith("bert.embeddings.", StringComparison.Ordinal);
        var adam = new AdamW(p, g, new AdamWOptions(LearningRate: 0.1, WeightDecay: 0.5), Trainable);
        Assert.Equal(20, adam.TrainableCount);
        for (int s = 1; s <= 2; s++) { FillGradients(g, s); adam.Step(); }
        foreach (var info in p.Parameters)
            for (int i = (int)info.Offset; i < info.Offset + info.Length; i++)
                if (Trainable(info.Name)) Assert.NotEqual(before[i], p.Data[i]);
                else
                {
                    Assert.Equal(before[i], p.Data[i]);
                    Assert.Equal(0f, adam.FirstMoment.Data[i]);
                    Assert.Equal(0f, adam.SecondMoment.Data[i]);
                }
    }

    [Fact]
    public void Exported_state_resumes_bit_identically()
    {
        var options = new AdamWOptions(LearningRate: 0.01, WeightDecay: 0.05);
        var p = Tiny();
        var g = p.CreateLike();
        var original = new AdamW(p, g, options);
        for (int s = 1; s <= 2; s++) { FillGradients(g, s); original.Step(0.01 * s); }

        var state = original.ExportState();
        Assert.Equal(2, state.Step);
        var resumedParameters = Tiny();
        p.Data.CopyTo(resumedParameters.Data, 0);
        var resumedGradients = resumedParameters.CreateLike();
        var resumed = new AdamW(resumedParameters, resumedGradients, options);
        resumed.RestoreState(state);
        state.FirstMoment[0] = 1234f; // the optimizer holds a copy

        for (int s = 3; s <= 4; s++)
        {
            FillGradients(g, s);
            FillGradients(resumedGradients, s);
            original.Step(0.01 * s);
            resumed.Step(0.01 * s);
        }
        Assert.Equal(original.StepCount, resumed.StepCount);
        Assert.Equal(p.Data, resumedParameters.Data);
        Assert.Equal(original.FirstMoment.Data, resumed.FirstMoment.Data);
        Assert.Equal(original.SecondMoment.Data, resumed.SecondMoment.Data);
    }

    [Fact]
    public void Restoring_state_of_another_size_fails_clearly()
    {
        var p = Tiny();
        var adam = new AdamW(p, p.CreateLike(), new AdamWOptions(1e-3));
        var e = Assert.Throws<ArgumentException>(() => adam.RestoreState(new AdamWState(5, new float[3], new float[30])));
        Assert.Contains("first moment holds 3 floats, the model has 30 parameters", e.Message);
        e = Assert.Throws<ArgumentException>(() => adam.RestoreState(new AdamWState(5, new float[30], new float[31])));
        Assert.Contains("second moment holds 31 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => adam.RestoreState(new AdamWState(-1, new float[30], new float[30])));
        Assert.Contains("negative", e.Message);
        Assert.Equal(0, adam.StepCount);
    }

    [Fact]
    public void Gradients_with_another_table_and_bad_options_are_rejected()
    {
        var p = Tiny();
        var other = new ParameterSet([("classifier.weight", [30])]);
        var e = Assert.Throws<ArgumentException>(() => new AdamW(p, other, new AdamWOptions(1e-3)));
        Assert.Contains("gradients have 1 tensors", e.Message);
        Assert.Throws<ArgumentException>(() => new AdamW(p, p.CreateLike(), new AdamWOptions(1e-3, Beta1: 1.0)));
        Assert.Throws<ArgumentException>(() => new AdamW(p, p.CreateLike(), new AdamWOptions(-1e-3)));
        var adam = new AdamW(p, Tiny(), new AdamWOptions(1e-3)); // a separately built block with the same table is fine
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(double.NaN));
    }

    public static TheoryData<SimdWidth> Widths => KernelAssert.Widths();

    [Theory]
    [MemberData(nameof(Widths))]
    public void Update_kernel_matches_scalar_reference_bit_for_bit(SimdWidth width)
    {
        foreach (double beta1 in new[] { 0.9, 0.3 })
        {
            var c = AdamWStepCoefficients.For(new AdamWOptions(1e-3, Beta1: beta1), 3e-3, 3);
            for (int n = 0; n <= 70; n++)
            {
                var g = KernelAssert.Random(n, 10 + n);
                var p1 = KernelAssert.Random(n, 20 + n);
                var m1 = KernelAssert.Random(n, 30 + n, 0.1f);
                var v1 = Array.ConvertAll(KernelAssert.Random(n, 40 + n, 0.01f), MathF.Abs);
                float[] p2 = (float[])p1.Clone(), m2 = (float[])m1.Clone(), v2 = (float[])v1.Clone();
                AdamWUpdate.Reference(p1, m1, v1, g, 0.9999f, c);
                AdamWUpdate.Apply(width, p2, m2, v2, g, 0.9999f, c);
                Assert.True(p1.AsSpan().SequenceEqual(p2), $"p {width} n={n} beta1={beta1}");
                Assert.True(m1.AsSpan().SequenceEqual(m2), $"m {width} n={n} beta1={beta1}");
                Assert.True(v1.AsSpan().SequenceEqual(v2), $"v {width} n={n} beta1={beta1}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Optimizer_gives_the_same_result_at_every_width(SimdWidth width)
    {
        ParameterSet Run(SimdWidth w)
        {
            var p = Tiny();
            var g = p.CreateLike();
            var adam = new AdamW(p, g, new AdamWOptions(0.01, WeightDecay: 0.1));
            for (int s = 1; s <= 3; s++) { FillGradients(g, s); adam.Step(w, 0.01); }
            return p;
        }
        Assert.Equal(Run(SimdWidth.Scalar).Data, Run(width).Data);
    }
}
