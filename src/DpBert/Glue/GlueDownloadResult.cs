namespace DpBert.Glue;

/// <summary>What happened to one task.</summary>
/// <param name="Task">The task.</param>
/// <param name="Folder">Its folder in the <c>glue_data</c> layout.</param>
/// <param name="AlreadyPresent">True when the folder existed and was kept (no download).</param>
public sealed record GlueDownloadResult(GlueTask Task, string Folder, bool AlreadyPresent);
