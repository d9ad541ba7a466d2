using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Training;

/// <summary>
/// Operations on a whole gradient block between backward and the optimizer step: global norm,
/// clipping, zeroing and scaling, each a loop over the flat block.
/// </summary>
/// <remarks>
/// Gradient accumulation needs no helper: backward adds (<c>+=</c>) into the gradients, so running
/// several micro-batches without <see cref="Zero"/> in between sums their gradients. To average them as
/// the Hugging Face <c>Trainer</c> does (it divides each micro-batch loss by the number of accumulation
/// steps), <see cref="Scale"/> the sum by <c>1 / micro-batches</c> before clipping; then step and
/// <see cref="Zero"/>.
/// </remarks>
public static class Gradients
{
    /// <summary>
    /// The L2 norm over all gradients (those of parameters where <paramref name="include"/> is true, when
    /// given), as <c>torch.nn.utils.clip_grad_norm_</c> measures it. Summed in double in a fixed order,
    /// so the result is the same on every processor.
    /// </summary>
    /// <param name="gradients">The gradient block.</param>
    /// <param name="include">Given a parameter key, false to leave it out (frozen parameters); null includes all.</param>
    public static double GlobalNorm(ParameterSet gradients, Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        double sum = 0;
        foreach (var (start, length) in Runs(gradients, include))
            sum += SumOfSquares(gradients.Data.AsSpan(start, length));
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales the gradients so their global norm is at most <paramref name="maxNorm"/>, as
    /// <c>torch.nn.utils.clip_grad_norm_</c> does: by <c>maxNorm / (norm + 1e-6)</c>, only when that is
    /// below 1. Returns the norm before clipping (what HF logs as <c>grad_norm</c>). A non-finite norm
    /// leaves the gradients unchanged; check the result to skip such a step.
    /// </summary>
    /// <param name="gradients">The gradient block.</param>
    /// <param name="maxNorm">The largest norm allowed; positive.</param>
    /// <param name="include">Given a parameter key, false to leave it out of both the norm and the scaling; null includes all.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not a positive number.</exception>
    public static double ClipGlobalNorm(ParameterSet gradients, double maxNorm, Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the maximum gradient norm must be > 0");
        double norm = GlobalNorm(gradients, include);
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            foreach (var (start, length) in Runs(gradients, include))
                Elementwise.Scale(gradients.Data.AsSpan(start, length), (float)coefficient);
        return norm;
    }

    /// <summary>Sets every gradient to zero (one <see cref="Array.Clear(Array)"/>), ready for the next backward.</summary>
    public static void Zero(ParameterSet gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        Array.Clear(gradients.Data);
    }

    /// <summary>Multiplies every gradient by <paramref name="factor"/>, e.g. <c>1 / micro-batches</c> to average accumulated gradients.</summary>
    public static void Scale(ParameterSet gradients, float factor)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        Elementwise.Scale(gradients.Data, factor);
    }

    // Contiguous (start, length) runs of the included table entries, in storage order; the whole block when all are included.
    private static List<(int Start, int Length)> Runs(ParameterSet gradients, Func<string, bool>? include)
    {
        if (include is null) return [(0, gradients.Data.Length)];
        var runs = new List<(int Start, int Length)>();
        foreach (var info in gradients.Parameters)
        {
            if (!include(info.Name)) continue;
            int start = (int)info.Offset;
            if (runs.Count > 0 && runs[^1].Start + runs[^1].Length == start)
                runs[^1] = (runs[^1].Start, runs[^1].Length + info.Length);
            else
                runs.Add((start, info.Length));
        }
        return runs;
    }

    // Four double accumulators (element i to i % 4, the tail to the first) for instruction-level parallelism; fixed order.
    private static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i <= x.Length - 4; i += 4)
        {
            double a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
            s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
        }
        for (; i < x.Length; i++) { double a = x[i]; s0 += a * a; }
        return (s0 + s1) + (s2 + s3);
    }
}
