namespace DpBert.Planning;

/// <summary>
/// The policy-gradient (REINFORCE, Williams 1992) estimator for DPBERT's planner. Each planned layer j of input i runs
/// with probability <c>p_ij = sigmoid(g_ij)</c>, independently; an input's plan <c>z_i</c> is sampled, the model runs it,
/// and the input's reward <c>r_i</c> (its loss and its cost in layers, <see cref="PlannerObjective"/>) scores it.
/// The gradient of the expected reward is <c>E[(r_i - b_i) d log P(z_i) / dg_ij] = E[(r_i - b_i)(z_ij - p_ij)]</c>
/// for any baseline <c>b_i</c> that does not depend on <c>z_i</c>; here the mean reward of the batch's other inputs.
/// The noise is a stateless hash of (seed, index), so a step can be recomputed exactly.
/// </summary>
public static class PlanPolicyGradient
{
    /// <summary>
    /// Samples gates for <paramref name="logits"/>: <paramref name="probabilities"/> receives <c>p = sigmoid(g)</c>,
    /// <paramref name="gates"/> <c>z = 1[u &lt; p]</c> with <c>u</c> uniform in (0, 1).
    /// </summary>
    public static void Sample(Span<float> gates, Span<float> probabilities, ReadOnlySpan<float> logits, ulong seed)
    {
        for (int i = 0; i < logits.Length; i++)
        {
            double p = 1.0 / (1.0 + Math.Exp(-(double)logits[i]));
            probabilities[i] = (float)p;
            gates[i] = GumbelGate.Uniform(seed, i) < p ? 1f : 0f;
        }
    }

    /// <summary>
    /// Each input's advantage: its reward minus the mean reward of the other inputs of the batch (a leave-one-out
    /// baseline, independent of the input's own plan, so the estimate stays unbiased). A batch of one has no baseline: 0.
    /// </summary>
    public static void Advantages(Span<double> advantages, ReadOnlySpan<double> rewards)
    {
        int b = rewards.Length;
        if (b == 1) { advantages[0] = 0; return; }
        double sum = 0;
        foreach (double r in rewards) sum += r;
        for (int i = 0; i < b; i++) advantages[i] = rewards[i] - (sum - rewards[i]) / (b - 1);
    }

    /// <summary>
    /// Adds to <paramref name="dLogits"/> (B, planned) the gradient of the surrogate loss
    /// <c>-(weight / B) * sum_i A_i log P(z_i)</c>: <c>-(weight / B) * A_i * (z_ij - p_ij)</c>. Minimising it raises the
    /// probability of the plans that scored above their baseline.
    /// </summary>
    public static void AddGradient(Span<float> dLogits, ReadOnlySpan<float> gates, ReadOnlySpan<float> probabilities, ReadOnlySpan<double> advantages, int planned, double weight = 1)
    {
        int b = advantages.Length;
        if (dLogits.Length != b * planned || gates.Length != b * planned || probabilities.Length != b * planned)
            throw new ArgumentException($"policy gradient of {b} inputs x {planned} planned layers needs {b * planned} logits, gates and probabilities");
        for (int r = 0; r < b; r++)
        {
            double scale = -weight * advantages[r] / b;
            for (int j = 0; j < planned; j++)
            {
                int i = r * planned + j;
                dLogits[i] += (float)(scale * (gates[i] - probabilities[i]));
            }
        }
    }
}
