namespace DpBert.Planning;

/// <summary>
/// Knowledge distillation from a teacher's logits: for classification
/// <c>T^2 * KL(softmax(teacher / T) || softmax(student / T))</c> averaged over rows (Hinton et al.), for
/// regression the mean squared difference of the two outputs.
/// </summary>
public static class Distillation
{
    /// <summary>The loss; its gradient with respect to <paramref name="student"/> goes to <paramref name="dStudent"/>.</summary>
    public static double Loss(Span<float> dStudent, ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, int rows, int classes, bool regression, double temperature)
    {
        if (regression)
        {
            double sum = 0;
            for (int i = 0; i < rows; i++)
            {
                double d = student[i] - (double)teacher[i];
                sum += d * d;
                dStudent[i] = (float)(2 * d / rows);
            }
            return sum / rows;
        }
        double loss = 0;
        var p = new double[classes];
        var q = new double[classes];
        for (int r = 0; r < rows; r++)
        {
            Softmax(teacher.Slice(r * classes, classes), temperature, p);
            Softmax(student.Slice(r * classes, classes), temperature, q);
            for (int j = 0; j < classes; j++)
            {
                if (p[j] > 0) loss += p[j] * (Math.Log(p[j]) - Math.Log(Math.Max(q[j], 1e-300)));
                // d/ds_j of T^2 KL = T (q_j - p_j), averaged over rows.
                dStudent[r * classes + j] = (float)(temperature * (q[j] - p[j]) / rows);
            }
        }
        return temperature * temperature * loss / rows;
    }

    private static void Softmax(ReadOnlySpan<float> logits, double temperature, double[] output)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v / temperature);
        double sum = 0;
        for (int j = 0; j < logits.Length; j++) sum += output[j] = Math.Exp(logits[j] / temperature - max);
        for (int j = 0; j < logits.Length; j++) output[j] /= sum;
    }
}
