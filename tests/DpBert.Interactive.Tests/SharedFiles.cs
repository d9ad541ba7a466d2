namespace DpBert.Interactive.Tests;

/// <summary>Files under the <c>shared</c> folder beside the clone (found by walking up from the test binaries).</summary>
internal static class SharedFiles
{
    public static string Path(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine([dir.FullName, "shared", .. parts]);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"shared/{string.Join('/', parts)} not found above {AppContext.BaseDirectory}");
    }
}
