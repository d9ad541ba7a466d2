using DpBert.Glue;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// A GLUE split file through <see cref="GlueDataset.LoadFile"/>. The first input byte picks the task and split (every
/// split of every task, in order); the rest is the file. Typed error: <see cref="InvalidDataException"/> naming the
/// file (and the line).
/// </summary>
public sealed class GlueTsvTarget : FuzzTarget
{
    private static readonly (GlueTask Task, GlueSplit Split)[] Layouts =
        [.. GlueTask.All.SelectMany(task => task.Splits.Select(split => (task, split)))];

    public override string Name => "glue-tsv";

    public override string Description => "GLUE .tsv (first byte picks task and split): GlueDataset.LoadFile";

    protected override string FileName => "split.tsv";

    protected override ReadOnlySpan<byte> FileContent(ReadOnlySpan<byte> input) => input.IsEmpty ? input : input[1..];

    protected override void Read(ReadOnlySpan<byte> input, string path)
    {
        var (task, split) = Layouts[input.IsEmpty ? 0 : input[0] % Layouts.Length];
        GlueDataset.LoadFile(task, split.Name, path);
    }

    protected override bool IsTypedError(Exception error) => error is InvalidDataException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // The first rows of each split ../shared/glue has, behind the byte that selects its layout.
        for (int i = 0; i < Layouts.Length; i++)
        {
            var (task, split) = Layouts[i];
            string file = SeedFiles.Shared("glue", task.FolderName, split.FileName);
            if (!File.Exists(file)) continue;
            yield return new($"{task.FolderName}-{split.Name}", [(byte)i, .. SeedFiles.FirstLines(file, 6)]);
        }
    }
}
