namespace DpBert.Tests;

/// <summary>Files of the repository itself (found by walking up from the test binaries to <c>DpBert.Interactive.sln</c>).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    /// <summary>The committed MiniLM sweeps notebook 06 reads: <c>notebooks/results/minilm/&lt;task&gt;/&lt;file&gt;</c>.</summary>
    public static string MiniLmSweep(string task, string file) => Path.Combine(Root, "notebooks", "results", "minilm", task, file);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DpBert.Interactive.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no DpBert.Interactive.sln above {AppContext.BaseDirectory}");
    }
}
