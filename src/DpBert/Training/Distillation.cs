namespace DpBert.Training;

/// <summary>
/// Knowledge distillation from a teacher's logits: for classification
/// <c>T^2 * KL(softmax(teacher / T) || softmax(student / T))</c> averaged over rows (Hinton et al.), for
/// regression the mean squared difference of the two outputs. Used by fine-tuning from teachers
/// (<see cref="TeacherTargets"/>) and by DPBERT's stage two (the full-depth model as teacher).
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

    /// <summary>
    /// Blends a task loss with distillation: <c>(1 - weight) * taskLoss + weight * distillation</c>, and the same blend of
    /// the gradients, in place: <paramref name="dLogits"/> holds the task loss's gradient on entry and the blend's on return.
    /// </summary>
    /// <returns>The blended loss.</returns>
    public static double Blend(Span<float> dLogits, double taskLoss, ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, int rows, int classes, bool regression,
        double weight, double temperature)
    {
        if (teacher.Length != rows * classes) throw new ArgumentException($"distillation needs {rows * classes} teacher logits, got {teacher.Length}", nameof(teacher));
        var dDistill = new float[rows * classes];
        double distill = Loss(dDistill, student, teacher, rows, classes, regression, temperature);
        for (int i = 0; i < rows * classes; i++) dLogits[i] = (float)((1 - weight) * dLogits[i] + weight * dDistill[i]);
        return (1 - weight) * taskLoss + weight * distill;
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
