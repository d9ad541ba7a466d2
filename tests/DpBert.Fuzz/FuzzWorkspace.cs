namespace DpBert.Fuzz;

/// <summary>A scratch folder of this process where inputs are written for readers that take a path; deleted on dispose.</summary>
public sealed class FuzzWorkspace : IDisposable
{
    /// <summary>The folder.</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"dpbert-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>Creates the folder.</summary>
    public FuzzWorkspace() => Directory.CreateDirectory(Folder);

    /// <summary>
    /// Writes <paramref name="bytes"/> as <paramref name="fileName"/> in the target's own subfolder (replacing its last
    /// input; readers of model folders see only that target's files) and returns the path.
    /// </summary>
    public string Write(string target, string fileName, ReadOnlySpan<byte> bytes)
    {
        string folder = Path.Combine(Folder, target);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, fileName);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read)) file.Write(bytes);
        return path;
    }

    /// <summary>Deletes the folder and what is in it.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}
