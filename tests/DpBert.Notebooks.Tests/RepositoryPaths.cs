namespace DpBert.Notebooks.Tests;

/// <summary>Folders of the clone and of the shared data beside it, found by walking up from the test binaries.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindUp(d => File.Exists(Path.Combine(d, "DpBert.Interactive.sln")))
        ?? throw new DirectoryNotFoundException($"DpBert.Interactive.sln not found above {AppContext.BaseDirectory}");

    public static string Notebooks => Path.Combine(Root, "notebooks");

    /// <summary>The configuration these tests were built in, which the packages and the command line they use were built in too.</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>Where executed copies, HTML and screenshots go (gitignored).</summary>
    public static string Artifacts => Path.Combine(Root, "artifacts", "notebooks");

    /// <summary>The shared folder beside the clone (golden models, GLUE, vocabularies).</summary>
    public static string Shared => FindUp(d => Directory.Exists(Path.Combine(d, "shared", "golden"))) is { } parent ? Path.Combine(parent, "shared")
        : throw new DirectoryNotFoundException($"shared/golden not found above {AppContext.BaseDirectory}");

    /// <summary>GLUE data as an absolute path: GLUE_DIR (relative to the clone when relative), else shared/glue above the clone.</summary>
    public static string GlueDirectory()
    {
        string? variable = Environment.GetEnvironmentVariable("GLUE_DIR");
        if (!string.IsNullOrWhiteSpace(variable))
        {
            foreach (string candidate in new[] { Path.GetFullPath(variable), Path.GetFullPath(variable, Root) })
                if (Directory.Exists(candidate)) return candidate;
        }
        return FindUp(d => Directory.Exists(Path.Combine(d, "shared", "glue"))) is { } parent ? Path.Combine(parent, "shared", "glue")
            : throw new DirectoryNotFoundException($"GLUE data not found: set GLUE_DIR (now \"{variable}\") or put shared/glue beside the clone");
    }

    private static string? FindUp(Func<string, bool> test)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (test(dir.FullName)) return dir.FullName;
        return null;
    }
}
