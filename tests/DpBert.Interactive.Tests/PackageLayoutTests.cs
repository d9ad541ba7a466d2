using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace DpBert.Interactive.Tests;

/// <summary>Packs DpBert and DpBert.Interactive from the build the tests run against and checks the .nupkg layout.</summary>
public class PackageLayoutTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public void Interactive_package_holds_the_library_the_extension_script_and_depends_on_DpBert()
    {
        string output = Pack("DpBert.Interactive");
        using var package = ZipFile.OpenRead(Directory.GetFiles(output, "DpBert.Interactive.*.nupkg").Single());
        var entries = package.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("lib/net10.0/DpBert.Interactive.dll", entries);
        Assert.Contains("lib/net10.0/DpBert.Interactive.xml", entries);
        Assert.Contains("interactive-extensions/dotnet/extension.dib", entries);
        Assert.DoesNotContain("lib/net10.0/DpBert.dll", entries); // a package dependency, not a copy

        using var nuspecStream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var nuspec = XDocument.Load(nuspecStream);
        var dependency = nuspec.Descendants().Single(e => e.Name.LocalName == "dependency");
        Assert.Equal("DpBert", dependency.Attribute("id")?.Value);

        using var dib = new StreamReader(package.GetEntry("interactive-extensions/dotnet/extension.dib")!.Open());
        string script = dib.ReadToEnd();
        Assert.StartsWith("#!meta", script);
        Assert.Contains("#!csharp", script);
    }

    [Fact]
    public void Core_package_holds_the_library()
    {
        string output = Pack("DpBert");
        using var package = ZipFile.OpenRead(Directory.GetFiles(output, "DpBert.*.nupkg").Single(f => !Path.GetFileName(f).StartsWith("DpBert.Interactive", StringComparison.Ordinal)));
        Assert.Contains("lib/net10.0/DpBert.dll", package.Entries.Select(e => e.FullName));
    }

    /// <summary>Runs <c>dotnet pack --no-build</c> on the already-built project into a fresh folder.</summary>
    private static string Pack(string project)
    {
        string repo = RepositoryRoot();
        string output = Path.Combine(Path.GetTempPath(), $"dpbert-pack-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet", ["pack", Path.Combine(repo, "src", project, project + ".csproj"), "-c", Configuration, "--no-build", "-o", output, "-nologo"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string log = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet pack {project} failed:\n{log}");
        return output;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DpBert.Interactive.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"DpBert.Interactive.sln not found above {AppContext.BaseDirectory}");
    }
}
