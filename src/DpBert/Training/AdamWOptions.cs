namespace DpBert.Training;

/// <summary>
/// Hyper-parameters of <see cref="AdamW"/>, named and defaulted as <c>torch.optim.AdamW</c> and the
/// Hugging Face <c>Trainer</c> use them (<c>adam_beta1</c>, <c>adam_beta2</c>, <c>adam_epsilon</c>,
/// <c>weight_decay</c>). Held in double precision like PyTorch's Python floats; they are rounded to
/// float only where PyTorch rounds them, when a step multiplies the float tensors.
/// </summary>
/// <param name="LearningRate">
/// The peak rate. A schedule's factor multiplies it; the product is what <see cref="AdamW.Step(double)"/> receives.
/// </param>
/// <param name="Beta1">Decay of the first-moment (mean) estimate.</param>
/// <param name="Beta2">Decay of the second-moment (uncentred variance) estimate.</param>
/// <param name="Epsilon">Added to the bias-corrected square root of the second moment.</param>
/// <param name="WeightDecay">
/// Decoupled weight decay: each step multiplies decayed parameters by <c>1 - lr * WeightDecay</c> before
/// the Adam update. Biases and LayerNorm weights are never decayed (see <see cref="WeightDecayGrouping"/>).
/// </param>
public sealed record AdamWOptions(
    double LearningRate,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8,
    double WeightDecay = 0.0)
{
    /// <summary>Checks the ranges PyTorch checks.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(LearningRate >= 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"AdamW learning rate {LearningRate} must be finite and >= 0");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"AdamW beta1 {Beta1} must lie in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException($"AdamW beta2 {Beta2} must lie in [0, 1)");
        if (!(Epsilon >= 0) || double.IsInfinity(Epsilon)) throw new ArgumentException($"AdamW epsilon {Epsilon} must be finite and >= 0");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"AdamW weight decay {WeightDecay} must be finite and >= 0");
    }
}
