namespace DpBert.Glue;

/// <summary>Progress of one file of a GLUE download.</summary>
/// <param name="FileName">The file being fetched, e.g. <c>SST-2.zip</c>.</param>
/// <param name="BytesDone">Bytes received so far.</param>
/// <param name="TotalBytes">The size the server announced, when it did.</param>
public sealed record GlueDownloadProgress(string FileName, long BytesDone, long? TotalBytes);
