using DpBert.Bert;

namespace DpBert.Training;

/// <summary>
/// Distillation targets for fine-tuning: one teacher's logits, or an ensemble's, for every training row, and how
/// much they weigh. The ensemble's logits are the mean of its members' (a product of experts: softmax of the mean logits
/// is the normalised geometric mean of the members' probabilities; for regression, the mean prediction).
/// </summary>
/// <param name="Logits">(N, num_labels), row i for training row i.</param>
/// <param name="Weight">Weight of the distillation term in (0, 1]: loss = (1 - weight) * task loss + weight * distillation.</param>
/// <param name="Temperature">Softmax temperature of the distillation term (classification).</param>
public sealed record TeacherTargets(float[] Logits, double Weight, double Temperature)
{
    /// <summary>The default weight of the distillation term.</summary>
    public const double DefaultWeight = 0.5;
    /// <summary>The default temperature (as DistilBERT's task distillation and DPBERT's stage two).</summary>
    public const double DefaultTemperature = 2.0;

    /// <summary>A short fingerprint of the teachers' logits (a SHA-256 of their bits), which a resumed run must keep.</summary>
    public string Fingerprint() =>
        $"teachers' logits sha256 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Logits.AsSpan())))[..16]}";

    /// <summary>Checks the weight and temperature; the message names the flag.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(Weight > 0 && Weight <= 1)) throw new ArgumentException($"--distillation-weight {Weight}: must be in (0, 1]");
        if (!(Temperature > 0 && double.IsFinite(Temperature))) throw new ArgumentException($"--distillation-temperature {Temperature}: must be positive");
    }

    /// <summary>
    /// The mean logits of <paramref name="teachers"/> over the same rows: each teacher runs (no dropout, every layer) over its
    /// own encoding of them (<c>Rows</c>, tokenised with that teacher's vocabulary), in batches of <paramref name="batchSize"/> rows of similar length.
    /// </summary>
    /// <param name="teachers">The members, each with the training rows encoded for it.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="progress">Receives the rows done so far, over all teachers (of teachers × rows), as batches finish.</param>
    /// <exception cref="ArgumentException">No teacher, or the teachers disagree on the rows or the label count.</exception>
    public static float[] MeanLogits(IReadOnlyList<(BertForSequenceClassification Model, EncodedDataset Rows)> teachers, int batchSize,
        IProgress<int>? progress = null)
    {
        if (teachers.Count == 0) throw new ArgumentException("at least one teacher is needed", nameof(teachers));
        int rows = teachers[0].Rows.Count, labels = teachers[0].Model.Config.NumLabels;
        var mean = new float[rows * labels];
        for (int t = 0; t < teachers.Count; t++)
        {
            var (model, data) = teachers[t];
            if (data.Count != rows) throw new ArgumentException($"teacher {t + 1} is given {data.Count} rows, teacher 1 {rows}", nameof(teachers));
            if (model.Config.NumLabels != labels) throw new ArgumentException($"teacher {t + 1} has {model.Config.NumLabels} labels, teacher 1 {labels}", nameof(teachers));
            // Rows of similar length batched together: SST-2's phrases are a fifth of the longest row, so padding every
            // batch to its longest row in file order would cost several times the work.
            var byLength = Enumerable.Range(0, rows).OrderBy(i => data.Lengths[i]).ToArray();
            for (int start = 0; start < rows; start += batchSize)
            {
                var indices = byLength.AsSpan(start, Math.Min(batchSize, rows - start));
                var logits = model.Forward(data.Batch(indices, model.Config.PadTokenId));
                for (int r = 0; r < indices.Length; r++)
                    for (int c = 0; c < labels; c++) mean[indices[r] * labels + c] += logits[r * labels + c] / teachers.Count;
                progress?.Report(t * rows + start + indices.Length);
            }
        }
        return mean;
    }
}
