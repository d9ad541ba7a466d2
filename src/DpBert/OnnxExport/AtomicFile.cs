namespace DpBert.OnnxExport;

/// <summary>Writes a file so that readers see the complete old file or the complete new one, never a part.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> on a temporary file in the target's folder, flushes it to disk and renames it over
    /// <paramref name="fullPath"/>; on any failure the temporary file is deleted and the target is untouched.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written; the message names <paramref name="fullPath"/>.</exception>
    public static void Write(string fullPath, Action<Stream> write)
    {
        string folder = Path.GetDirectoryName(fullPath)!;
        if (Directory.Exists(fullPath)) throw new IOException($"{fullPath}: is a folder; give a file name such as model.onnx");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{fullPath}: folder {folder} does not exist");
        string temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new IOException($"{fullPath}: cannot write the file ({e.Message})", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }             // the original failure is the one worth reporting
        catch (UnauthorizedAccessException) { }
    }
}
