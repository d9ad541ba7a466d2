namespace DpBert.Glue;

/// <summary>
/// One row of a GLUE file, as the Hugging Face GLUE processors build an <c>InputExample</c>: the text(s) exactly as
/// they appear in the file (no trimming, quotes kept) and the gold answer when the split has one.
/// </summary>
/// <param name="Guid">Split and row id, e.g. <c>dev-17</c>: the file's <c>index</c>/<c>id</c> column, else the 0-based row position.</param>
/// <param name="TextA">The first (or only) sentence.</param>
/// <param name="TextB">The second sentence of a pair task; null for CoLA and SST-2.</param>
/// <param name="Label">The class id, an index into <see cref="GlueTask.Labels"/>; null for STS-B and for test files.</param>
/// <param name="Score">The STS-B similarity score (0 to 5); null for classification tasks and for test files.</param>
public sealed record GlueExample(string Guid, string TextA, string? TextB, int? Label, float? Score);
