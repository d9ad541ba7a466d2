using System.Text;

namespace DpBert.Glue;

/// <summary>
/// Builds MRPC's <c>train.tsv</c>, <c>dev.tsv</c> and <c>test.tsv</c> from the SentEval files as
/// <c>download_glue_data.py</c> does: the training file is split by the dev-set id pairs (its header line, BOM
/// included, copied to both), and the test file gets an <c>index</c> column instead of its labels. Every row is
/// stripped and re-joined with tabs; lines end in <c>\n</c>.
/// </summary>
internal static class MrpcFormatter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes the three files into <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">A row without five tab-separated fields, or dev ids that do not all occur; the message names the file and line.</exception>
    public static void Format(string trainText, string testText, string devIdsText, string folder)
    {
        var devIds = Lines(devIdsText).Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => l.Split('\t')).Select(p => string.Join('\t', p)).ToHashSet(StringComparer.Ordinal);
        var train = Lines(trainText);
        if (train.Count == 0) throw new InvalidDataException($"{GlueArchives.MrpcTrainFile}: empty");
        var trainOut = new StringBuilder().Append(train[0]).Append('\n');
        var devOut = new StringBuilder().Append(train[0]).Append('\n');
        int devRows = 0;
        for (int i = 1; i < train.Count; i++)
        {
            string[] f = Fields(train[i], GlueArchives.MrpcTrainFile, i + 1);
            string row = string.Join('\t', f) + "\n";
            if (devIds.Contains(f[1] + "\t" + f[2])) { devOut.Append(row); devRows++; }
            else trainOut.Append(row);
        }
        if (devRows != devIds.Count)
            throw new InvalidDataException($"{GlueArchives.MrpcDevIdsFile}: {devIds.Count} dev id pairs, but only {devRows} occur in {GlueArchives.MrpcTrainFile}");

        var test = Lines(testText);
        if (test.Count == 0) throw new InvalidDataException($"{GlueArchives.MrpcTestFile}: empty");
        var testOut = new StringBuilder("index\t#1 ID\t#2 ID\t#1 String\t#2 String\n");
        for (int i = 1; i < test.Count; i++)
        {
            string[] f = Fields(test[i], GlueArchives.MrpcTestFile, i + 1);
            testOut.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i - 1}\t{f[1]}\t{f[2]}\t{f[3]}\t{f[4]}\n");
        }
        File.WriteAllText(Path.Combine(folder, "train.tsv"), trainOut.ToString(), Utf8);
        File.WriteAllText(Path.Combine(folder, "dev.tsv"), devOut.ToString(), Utf8);
        File.WriteAllText(Path.Combine(folder, "test.tsv"), testOut.ToString(), Utf8);
    }

    /// <summary>Decodes strict UTF-8 keeping a BOM as U+FEFF (Python's <c>encoding="utf8"</c> does not drop it).</summary>
    public static string Decode(byte[] bytes, string fileName)
    {
        try { return Utf8.GetString(bytes); }
        catch (DecoderFallbackException e) { throw new InvalidDataException($"{fileName}: not valid UTF-8: {e.Message}", e); }
    }

    /// <summary>Lines as Python's universal-newline reading gives them, without their ends; no empty last line.</summary>
    private static List<string> Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private static string[] Fields(string line, string fileName, int lineNumber)
    {
        string[] fields = line.Trim().Split('\t');
        return fields.Length == 5 ? fields
            : throw new InvalidDataException($"{fileName}: line {lineNumber}: {fields.Length} tab-separated fields, expected 5 (label, id 1, id 2, string 1, string 2)");
    }
}
