namespace DpBert.Training;

/// <summary>
/// The scalars of one AdamW step, computed in double from the options, the learning rate and the step
/// number, then rounded to float, as PyTorch computes its Python-float scalars and rounds them when
/// they meet float tensors.
/// </summary>
/// <param name="LerpFromGradient">
/// PyTorch's <c>lerp(m, g, w)</c> computes <c>m + w * (g - m)</c> when <c>|w| &lt; 0.5</c> and
/// <c>g - (g - m) * (1 - w)</c> otherwise; true selects the second form.
/// </param>
/// <param name="LerpCoefficient"><c>w = 1 - beta1</c>, or <c>w - 1</c> when <see cref="LerpFromGradient"/>.</param>
/// <param name="Beta2"><c>beta2</c>.</param>
/// <param name="OneMinusBeta2"><c>1 - beta2</c>.</param>
/// <param name="BiasCorrection2Sqrt"><c>sqrt(1 - beta2^step)</c>.</param>
/// <param name="Epsilon"><c>eps</c>.</param>
/// <param name="NegativeStepSize"><c>-lr / (1 - beta1^step)</c>.</param>
internal readonly record struct AdamWStepCoefficients(
    bool LerpFromGradient,
    float LerpCoefficient,
    float Beta2,
    float OneMinusBeta2,
    float BiasCorrection2Sqrt,
    float Epsilon,
    float NegativeStepSize)
{
    /// <summary>The coefficients of step number <paramref name="step"/> (1 for the first update).</summary>
    public static AdamWStepCoefficients For(AdamWOptions options, double learningRate, long step)
    {
        float w = (float)(1 - options.Beta1);
        bool fromGradient = !(MathF.Abs(w) < 0.5f);
        double biasCorrection1 = 1 - Math.Pow(options.Beta1, step);
        double biasCorrection2 = 1 - Math.Pow(options.Beta2, step);
        return new AdamWStepCoefficients(
            fromGradient,
            fromGradient ? w - 1f : w,
            (float)options.Beta2,
            (float)(1 - options.Beta2),
            (float)Math.Pow(biasCorrection2, 0.5), // PyTorch: bias_correction2 ** 0.5
            (float)options.Epsilon,
            (float)-(learningRate / biasCorrection1));
    }
}
