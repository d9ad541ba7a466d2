using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>
/// BERT's masking recipe: choose 15% of the real (non-special, non-padding) tokens; of those, 80% become
/// [MASK], 10% a random token and 10% stay as they are. Labels hold the original id at chosen positions and
/// -100 elsewhere. Every sequence with a real token gets at least one choice. Deterministic for a seed.
/// </summary>
public static class MaskedLanguageModeling
{
    /// <summary>Masks <paramref name="batch"/> in place and returns the labels (T).</summary>
    public static int[] Mask(BertBatch batch, SpecialTokenIds special, int vocabSize, double probability, Random rng)
    {
        if (probability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability), $"mask probability {probability} must be in (0, 1)");
        var labels = new int[batch.TokenCount];
        Array.Fill(labels, -100);
        int s = batch.SequenceLength;
        for (int row = 0; row < batch.BatchSize; row++)
        {
            int chosen = 0, firstReal = -1;
            for (int j = 0; j < s; j++)
            {
                int i = row * s + j, id = batch.InputIds[i];
                if (batch.AttentionMask[i] == 0 || special.Contains(id)) continue;
                if (firstReal < 0) firstReal = i;
                if (rng.NextDouble() < probability) { Corrupt(batch, labels, i, special, vocabSize, rng); chosen++; }
            }
            if (chosen == 0 && firstReal >= 0) Corrupt(batch, labels, firstReal, special, vocabSize, rng);
        }
        return labels;
    }

    private static void Corrupt(BertBatch batch, int[] labels, int i, SpecialTokenIds special, int vocabSize, Random rng)
    {
        labels[i] = batch.InputIds[i];
        double r = rng.NextDouble();
        if (r < 0.8) batch.InputIds[i] = special.Mask;
        else if (r < 0.9) batch.InputIds[i] = rng.Next(vocabSize);
    }
}
