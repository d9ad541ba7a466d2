namespace DpBert.Glue;

/// <summary>Which training rows <see cref="GlueDataset.SplitHeldOut(int, int, HeldOutRows)"/> may set aside.</summary>
public enum HeldOutRows
{
    /// <summary>Any row: a seeded shuffle of the whole file.</summary>
    Any,

    /// <summary>
    /// Whole rows only: rows that no longer row of the file contains word for word. SST-2's training file holds every
    /// phrase of its sentences as a row of its own (9.4 words on average, where the dev set's sentences have 19.5), so
    /// rows drawn from all of it measure phrases, not the sentences the dev set asks about; its whole rows are mostly its
    /// sentences (where GLUE left a neutral sentence out, its longest phrases are whole rows). Every row a held-out row contains (its phrases, and copies of it) leaves the training set too, so no
    /// held-out sentence is learnt through its parts. Single-sentence tasks only.
    /// </summary>
    Whole,
}
