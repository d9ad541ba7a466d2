namespace DpBert.Cli;

/// <summary>Offline defaults: the shared vocabulary beside the clone, found by walking up from the current folder.</summary>
internal static class DefaultPaths
{
    /// <summary><c>shared/vocab/bert-base-uncased/vocab.txt</c> in the current folder or an ancestor, else null.</summary>
    public static string? UncasedVocabulary()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            foreach (string root in new[] { dir.FullName, Path.Combine(dir.FullName, "..") })
            {
                string candidate = Path.GetFullPath(Path.Combine(root, "shared", "vocab", "bert-base-uncased", "vocab.txt"));
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
