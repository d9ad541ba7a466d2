using DpBert.Planning;
using DpBert.Tensors;
using static TorchSharp.torch;

namespace DpBert.TorchSharp.Planning;

/// <summary>
/// The training gate of DPBERT as tensor operations, the same estimator as the core engine's <see cref="GumbelGate"/>:
/// the soft sample <c>y = sigmoid((g + n) / tau)</c> with logistic noise <c>n = log u - log(1 - u)</c>, made hard by the
/// straight-through trick (<c>z = 1[y &gt; 1/2]</c> forward, the gradient of <c>y</c> backward). Autograd then gives
/// <c>dL/dg = dL/dz * y (1 - y) / tau</c>, the core engine's hand-written backward.
/// </summary>
public static class GumbelSigmoidGate
{
    /// <summary>The gates (forward values) and the soft samples for <paramref name="logits"/> and <paramref name="logisticNoise"/> (same shape).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not positive.</exception>
    public static (Tensor Gates, Tensor Soft) Sample(Tensor logits, Tensor logisticNoise, double temperature, bool hard = true)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"gate temperature {temperature} must be positive");
        using var scope = NewDisposeScope();
        var soft = sigmoid((logits + logisticNoise) / temperature);
        var gates = hard ? gt(soft, 0.5).to(soft.dtype) - soft.detach() + soft : soft;
        return (gates.MoveToOuterDisposeScope(), soft.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The logistic noise of the core engine for a step seeded with <paramref name="stepSeed"/>: entry i (row-major over
    /// (B, L - k)) is <c>log u_i - log(1 - u_i)</c> with <c>u_i = GumbelGate.Uniform(Dropout.Hash(stepSeed, 7777), i)</c>,
    /// exactly what <see cref="PlannerObjective"/> of the core draws, so both engines can train on the same gate noise.
    /// </summary>
    public static Tensor HashNoise(ulong stepSeed, int batchSize, int plannedLayers, ScalarType dtype, Device device)
    {
        ulong gateSeed = Dropout.Hash(stepSeed, 7777);
        var noise = new float[batchSize * plannedLayers];
        for (int i = 0; i < noise.Length; i++)
        {
            double u = GumbelGate.Uniform(gateSeed, i);
            noise[i] = (float)(Math.Log(u) - Math.Log(1 - u));
        }
        using var host = tensor(noise, [batchSize, plannedLayers]);
        return host.to(dtype, device);
    }
}
