using System.IO.Compression;
using System.Xml.Linq;

namespace DpBert.Notebooks.Tests;

/// <summary>The packages the notebooks load, as packed into notebooks/packages.</summary>
[Collection(NotebookCollection.Name)]
public class LocalFeedTests(LocalFeed feed)
{
    [Fact]
    public void Interactive_package_holds_the_library_the_kernel_extension_and_the_isolated_plotly_companion()
    {
        using var package = ZipFile.OpenRead(feed.Package("DpBert.Interactive"));
        var entries = package.Entries.Select(e => e.FullName).Where(e => !e.EndsWith('/')).ToList();
        Assert.Equal(["lib/net10.0/DpBert.Interactive.dll", "lib/net10.0/DpBert.Interactive.xml"], entries.Where(e => e.StartsWith("lib/", StringComparison.Ordinal)).Order());
        Assert.Equal(["interactive-extensions/dotnet/DpBert.Interactive.KernelExtension.dll"],
            entries.Where(e => e.StartsWith("interactive-extensions/dotnet/", StringComparison.Ordinal) && e.Count(c => c == '/') == 2));
        var companion = entries.Where(e => e.StartsWith("interactive-extensions/dotnet/plotly/", StringComparison.Ordinal)).Select(Path.GetFileName).ToHashSet();
        Assert.Superset(new HashSet<string?> { "DpBert.Interactive.Plotly.dll", "Plotly.NET.dll", "FSharp.Core.dll", "DynamicObj.dll", "Giraffe.ViewEngine.dll", "Newtonsoft.Json.dll" }, companion);
        Assert.DoesNotContain(companion, f => f is "DpBert.dll" or "DpBert.Interactive.dll"); // shared with the kernel, never a second copy

        var nuspec = XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        Assert.Equal(feed.Version, nuspec.Descendants().Single(e => e.Name.LocalName == "version").Value);
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
        Assert.Equal(feed.Version, dependencies["DpBert"]);
        Assert.Equal("0.23.1", dependencies["Microsoft.Data.Analysis"]);
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("Microsoft.DotNet.Interactive", StringComparison.Ordinal) || id.StartsWith("Plotly", StringComparison.Ordinal) || id == "FSharp.Core");
    }

    [Fact]
    public void Core_and_plotly_packages_carry_the_same_version()
    {
        using var core = ZipFile.OpenRead(feed.Package("DpBert"));
        Assert.Contains("lib/net10.0/DpBert.dll", core.Entries.Select(e => e.FullName));
        using var plotly = ZipFile.OpenRead(feed.Package("DpBert.Interactive.Plotly"));
        var nuspec = XDocument.Load(plotly.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
        Assert.Equal(feed.Version, dependencies["DpBert.Interactive"]);
        Assert.Equal("6.0.0", dependencies["Plotly.NET"]);
    }
}
