using DpBert.Tensors;

namespace DpBert.Planning;

/// <summary>
/// The training gate of DPBERT's planner: a binary concrete (Gumbel-sigmoid) sample
/// <c>y = sigmoid((g + log u - log(1 - u)) / tau)</c> with <c>u ~ U(0, 1)</c>, made hard by the straight-through
/// trick: the forward value is <c>z = 1[y &gt; 1/2]</c> while the gradient is that of <c>y</c>. The noise is a
/// stateless hash of (seed, index), so a step can be recomputed exactly.
/// </summary>
public static class GumbelGate
{
    /// <summary>
    /// Samples gates for <paramref name="logits"/>: <paramref name="soft"/> receives <c>y</c>, <paramref name="gates"/>
    /// the forward value (<c>z</c> when <paramref name="hard"/>, else <c>y</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not positive.</exception>
    public static void Sample(Span<float> gates, Span<float> soft, ReadOnlySpan<float> logits, double temperature, ulong seed, bool hard)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"gate temperature {temperature} must be positive");
        for (int i = 0; i < logits.Length; i++)
        {
            double u = Uniform(seed, i);
            double y = 1.0 / (1.0 + Math.Exp(-(logits[i] + Math.Log(u) - Math.Log(1 - u)) / temperature));
            soft[i] = (float)y;
            gates[i] = hard ? (y > 0.5 ? 1f : 0f) : (float)y;
        }
    }

    /// <summary>
    /// Turns the gradient of the loss with respect to the gates into the gradient with respect to the logits
    /// (in place): <c>dg = dz * y (1 - y) / tau</c>, the straight-through estimate for hard gates.
    /// </summary>
    public static void Backward(Span<float> dGates, ReadOnlySpan<float> soft, double temperature)
    {
        for (int i = 0; i < dGates.Length; i++) dGates[i] = (float)(dGates[i] * soft[i] * (1.0 - soft[i]) / temperature);
    }

    /// <summary>The uniform sample in (0, 1) behind gate <paramref name="index"/>.</summary>
    public static double Uniform(ulong seed, int index) => Dropout.Uniform(seed, index);

    /// <summary>Temperature at <paramref name="step"/> of <paramref name="totalSteps"/>, annealed geometrically from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static double AnnealedTemperature(double start, double end, int step, int totalSteps) =>
        totalSteps <= 1 ? end : start * Math.Pow(end / start, Math.Clamp((double)step / (totalSteps - 1), 0, 1));
}
