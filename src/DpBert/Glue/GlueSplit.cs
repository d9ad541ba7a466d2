namespace DpBert.Glue;

/// <summary>
/// One file of a GLUE task in the official <c>glue_data/&lt;TASK&gt;/</c> layout and where its columns are, as the
/// GLUE processors of Hugging Face transformers read them. Column indices are 0-based; every line of the file
/// must have exactly <see cref="FieldCount"/> tab-separated fields.
/// </summary>
/// <param name="Name">The split name: <c>train</c>, <c>dev</c>, <c>test</c>, or for MNLI <c>dev_matched</c>, <c>dev_mismatched</c>, <c>test_matched</c>, <c>test_mismatched</c>.</param>
/// <param name="FileName">The file inside the task folder, e.g. <c>dev.tsv</c>.</param>
/// <param name="HasHeader">Whether the first line is a header (CoLA train and dev have none).</param>
/// <param name="FieldCount">Number of tab-separated fields on every line, header included.</param>
/// <param name="IdColumn">The column holding the row's id (<c>index</c> or <c>id</c>), or null when the file has none; the example's guid then uses the row position.</param>
/// <param name="TextAColumn">The column of the first (or only) sentence.</param>
/// <param name="TextBColumn">The column of the second sentence of a pair task; null for single-sentence tasks.</param>
/// <param name="GoldColumn">The column of the label (or STS-B score); null for the unlabelled test files.</param>
public sealed record GlueSplit(
    string Name,
    string FileName,
    bool HasHeader,
    int FieldCount,
    int? IdColumn,
    int TextAColumn,
    int? TextBColumn,
    int? GoldColumn)
{
    /// <summary>Whether the file carries gold labels or scores (false for the test files).</summary>
    public bool HasGold => GoldColumn is not null;

    /// <summary>The split name, e.g. <c>dev_matched</c>.</summary>
    public override string ToString() => Name;
}
