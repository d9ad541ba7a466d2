using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>The GLUE files under <c>../shared/glue</c> (official <c>glue_data</c> layout; QQP, MNLI and QNLI train are absent).</summary>
internal static class SharedGlueData
{
    public static string Folder { get; } = Path.Combine(GoldenFiles.SharedFolder, "glue");

    public static GlueDataset Load(GlueTask task, string split) => GlueDataset.Load(task, split, Folder);

    public static string FileOf(GlueTask task, string split) => Path.Combine(Folder, task.FolderName, task.Split(split).FileName);
}
