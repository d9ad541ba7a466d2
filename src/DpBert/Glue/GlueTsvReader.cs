using System.Globalization;
using System.Text;

namespace DpBert.Glue;

/// <summary>
/// Reads a GLUE split file as the transformers GLUE processors do (<c>csv.reader</c> with <c>delimiter="\t"</c>
/// and <c>quotechar=None</c>): lines end at <c>\n</c>, <c>\r\n</c> or <c>\r</c>, fields are split on every tab,
/// quotes are ordinary characters, and a UTF-8 BOM before the first line is dropped. Unlike those processors it
/// skips nothing: any line that does not fit the split's layout is an
/// <see cref="InvalidDataException"/> whose message names the file, the 1-based line number and the problem.
/// </summary>
internal static class GlueTsvReader
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The examples of <paramref name="path"/>, in file order, stopping after <paramref name="maxExamples"/> when given.</summary>
    public static List<GlueExample> Read(string path, GlueTask task, GlueSplit split, int? maxExamples)
    {
        var examples = new List<GlueExample>();
        using var reader = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: false,
            new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.SequentialScan, BufferSize = 1 << 16 });

        int lineNumber = 0;
        while (true)
        {
            // The header is read (and checked) even when no rows are wanted.
            bool headerPending = split.HasHeader && lineNumber == 0;
            if (!headerPending && examples.Count >= maxExamples) break;

            string? line;
            try { line = reader.ReadLine(); }
            catch (DecoderFallbackException e)
            {
                // The reader decodes ahead of the line it returns, so the bad bytes are on this line or a later one.
                throw Malformed(path, lineNumber + 1, $"not valid UTF-8 (on this line or a later one): {e.Message}", e);
            }
            if (line is null) break;
            lineNumber++;
            if (lineNumber == 1 && line.StartsWith('\uFEFF')) line = line[1..];

            string[] fields = line.Split('\t');
            bool isHeader = lineNumber == 1 && split.HasHeader;
            if (fields.Length != split.FieldCount)
                throw Malformed(path, lineNumber, FieldCountProblem(task, split, fields.Length, line.Length == 0, isHeader));

            if (isHeader)
            {
                RequireHeader(path, task, split, fields);
                continue;
            }
            examples.Add(ParseRow(path, lineNumber, task, split, fields, rowIndex: examples.Count));
        }

        if (lineNumber == 0 && split.HasHeader)
            throw Malformed(path, null, $"the file is empty; a {task.FolderName} {split.FileName} file starts with a header line");
        return examples;
    }

    private static GlueExample ParseRow(string path, int lineNumber, GlueTask task, GlueSplit split, string[] fields, int rowIndex)
    {
        string id = split.IdColumn is int idColumn ? fields[idColumn] : rowIndex.ToString(CultureInfo.InvariantCulture);
        string textA = fields[split.TextAColumn];
        string? textB = split.TextBColumn is int textBColumn ? fields[textBColumn] : null;

        int? label = null;
        float? score = null;
        if (split.GoldColumn is int goldColumn)
        {
            string gold = fields[goldColumn];
            if (task.IsRegression)
            {
                score = TryParseScore(gold)
                    ?? throw Malformed(path, lineNumber, $"score '{gold}' (column {goldColumn + 1}) is not a finite number");
            }
            else
            {
                int index = task.LabelIndex(gold);
                if (index < 0)
                {
                    throw Malformed(path, lineNumber,
                        $"label '{gold}' (column {goldColumn + 1}) is not a {task.FolderName} label; expected one of {string.Join(", ", task.Labels)}");
                }
                label = index;
            }
        }
        return new GlueExample($"{split.Name}-{id}", textA, textB, label, score);
    }

    /// <summary>
    /// A header is not checked name by name (copies of GLUE spell some differently), but it must not look like a
    /// data row: a file that lost its header would otherwise lose its first example without a word.
    /// </summary>
    private static void RequireHeader(string path, GlueTask task, GlueSplit split, string[] fields)
    {
        bool looksLikeData = split.GoldColumn is int goldColumn
            ? (task.IsRegression ? TryParseScore(fields[goldColumn]) is not null : task.LabelIndex(fields[goldColumn]) >= 0)
            : split.IdColumn is int idColumn && long.TryParse(fields[idColumn], NumberStyles.None, CultureInfo.InvariantCulture, out _);
        if (looksLikeData)
        {
            throw Malformed(path, 1,
                $"expected a header line, but this looks like a data row; {task.FolderName} {split.FileName} starts with a header");
        }
    }

    /// <summary>The error for a line (or, with no line number, the whole file) that does not fit the layout.</summary>
    private static InvalidDataException Malformed(string path, int? lineNumber, string problem, Exception? inner = null) =>
        new(lineNumber is null ? $"{path}: {problem}" : $"{path}, line {lineNumber}: {problem}", inner);

    private static float? TryParseScore(string text) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value) ? value : null;

    private static string FieldCountProblem(GlueTask task, GlueSplit split, int found, bool emptyLine, bool isHeader)
    {
        string what = isHeader ? "header" : "row";
        string layout = $"{task.FolderName} {split.FileName} has {split.FieldCount} tab-separated fields per line";
        return emptyLine
            ? $"empty line where a {what} was expected; {layout}"
            : $"{what} has {found} tab-separated field{(found == 1 ? "" : "s")}, expected {split.FieldCount} ({layout})";
    }
}
