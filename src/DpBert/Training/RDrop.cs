namespace DpBert.Training;

/// <summary>
/// R-Drop (Liang et al., 2021): every training batch runs forward twice, with different dropout masks, and the loss adds
/// to the two passes' task losses <c>alpha</c> times how far their predictions disagree. For classification the
/// disagreement is the symmetric KL divergence <c>(KL(p || q) + KL(q || p)) / 2</c> of the two softmaxes, for regression
/// the squared difference of the two outputs, each averaged over rows. The paper's loss is
/// <c>l1 + l2 + alpha * disagreement</c>; fine-tuning uses half of it, <c>(l1 + l2) / 2 + alpha / 2 * disagreement</c>,
/// so that the task part keeps the scale of a run without R-Drop (the same gradient clipping means the same thing).
/// </summary>
public static class RDrop
{
    /// <summary>The salt that turns a step's dropout seed into the second pass's.</summary>
    public const ulong SecondPassSalt = 0x5D209;

    /// <summary>
    /// The disagreement of two passes' outputs <paramref name="a"/> and <paramref name="b"/> (rows × classes, row-major);
    /// its gradients with respect to each are written to <paramref name="dA"/> and <paramref name="dB"/>.
    /// </summary>
    public static double Disagreement(Span<float> dA, Span<float> dB, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows, int classes, bool regression)
    {
        int n = rows * classes;
        if (a.Length != n || b.Length != n || dA.Length != n || dB.Length != n)
            throw new ArgumentException($"R-Drop needs {n} outputs per pass and gradient, got {a.Length}, {b.Length}, {dA.Length} and {dB.Length}");
        if (regression)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double d = a[i] - (double)b[i];
                sum += d * d;
                dA[i] = (float)(2 * d / rows);
                dB[i] = (float)(-2 * d / rows);
            }
            return sum / rows;
        }
        double loss = 0;
        var p = new double[classes];
        var q = new double[classes];
        var logRatio = new double[classes];
        for (int r = 0; r < rows; r++)
        {
            double logSumA = LogSoftmax(a.Slice(r * classes, classes), p), logSumB = LogSoftmax(b.Slice(r * classes, classes), q);
            double meanP = 0, meanQ = 0;
            for (int j = 0; j < classes; j++)
            {
                // log p_j - log q_j, from the logits themselves so that a class of vanishing probability stays finite.
                logRatio[j] = a[r * classes + j] - logSumA - (b[r * classes + j] - logSumB);
                meanP += p[j] * logRatio[j];
                meanQ += q[j] * logRatio[j];
            }
            // KL(p || q) = E_p[log p - log q], KL(q || p) = -E_q[log p - log q].
            loss += (meanP - meanQ) / 2;
            for (int j = 0; j < classes; j++)
            {
                // d KL(p||q) / da = p (d - E_p d), / db = q - p;  d KL(q||p) / da = p - q, / db = q (E_q d - d).
                dA[r * classes + j] = (float)((p[j] * (logRatio[j] - meanP) + p[j] - q[j]) / (2 * rows));
                dB[r * classes + j] = (float)((q[j] * (meanQ - logRatio[j]) + q[j] - p[j]) / (2 * rows));
            }
        }
        return loss / rows;
    }

    /// <summary>Writes softmax(<paramref name="logits"/>) to <paramref name="probabilities"/> and returns log Σ exp(logits).</summary>
    private static double LogSoftmax(ReadOnlySpan<float> logits, double[] probabilities)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0;
        for (int j = 0; j < logits.Length; j++) sum += probabilities[j] = Math.Exp(logits[j] - max);
        for (int j = 0; j < logits.Length; j++) probabilities[j] /= sum;
        return max + Math.Log(sum);
    }
}
