namespace DpBert.Checkpoints;

/// <summary>
/// Writes a folder so that readers only ever see a complete old version or a complete new one: files go to
/// a temporary sibling folder, which then replaces the target by rename. If the process dies in between,
/// the previous folder is still there (possibly under its <c>.old</c> name, which <see cref="Resolve"/> finds).
/// </summary>
public static class AtomicFolder
{
    /// <summary>Calls <paramref name="writeFiles"/> with a fresh temporary folder, then swaps it in as <paramref name="target"/>.</summary>
    public static void Write(string target, Action<string> writeFiles)
    {
        target = Path.GetFullPath(target);
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        string name = Path.GetFileName(target);
        string temp = Path.Combine(parent, $".{name}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string old = Path.Combine(parent, $".{name}.old");
        Directory.CreateDirectory(temp);
        try
        {
            writeFiles(temp);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        TryDelete(old);
        if (Directory.Exists(target)) Directory.Move(target, old);
        Directory.Move(temp, target);
        TryDelete(old);
    }

    /// <summary>The folder to read: <paramref name="target"/>, or its <c>.old</c> copy left by an interrupted swap; null when neither exists.</summary>
    public static string? Resolve(string target)
    {
        target = Path.GetFullPath(target);
        if (Directory.Exists(target)) return target;
        string old = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.old");
        return Directory.Exists(old) ? old : null;
    }

    private static void TryDelete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
    }
}
