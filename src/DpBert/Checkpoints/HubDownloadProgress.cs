namespace DpBert.Checkpoints;

/// <summary>Progress of one file's download.</summary>
/// <param name="RepoId">The repository, e.g. <c>prajjwal1/bert-mini</c>.</param>
/// <param name="FileName">The file within it.</param>
/// <param name="BytesDone">Bytes on disk so far (a resumed download starts above zero).</param>
/// <param name="TotalBytes">The file's size as the hub announced it.</param>
public sealed record HubDownloadProgress(string RepoId, string FileName, long BytesDone, long TotalBytes);
