namespace DpBert.Notebooks.Tests;

/// <summary>
/// Packs what `dotnet test` has just built into notebooks/packages (the folder notebooks/NuGet.Config names) with a fresh
/// version 0.1.0-local.&lt;UTC time&gt;, exactly as the README's `dotnet pack notebooks/LocalPackages.proj` does but without
/// building again, so the notebooks' `#r "nuget: DpBert.Interactive, 0.1.0-*"` loads this build in the real kernel.
/// Older local packs in that folder are removed.
/// </summary>
public sealed class LocalFeed
{
    private static readonly string[] PackageIds = ["DpBert", "DpBert.Interactive", "DpBert.Interactive.Plotly", "DpBert.TorchSharp"];

    public LocalFeed()
    {
        Folder = Path.Combine(RepositoryPaths.Notebooks, "packages");
        Version = $"0.1.0-local.{DateTime.UtcNow:yyyyMMddHHmmss}";
        Directory.CreateDirectory(Folder);
        foreach (string id in PackageIds)
            foreach (string old in Directory.GetFiles(Folder, $"{id}.0.1.0-local.*.nupkg"))
                if (Path.GetFileName(old).StartsWith($"{id}.0.1.0-local.", StringComparison.Ordinal) && char.IsDigit(Path.GetFileName(old)[$"{id}.0.1.0-local.".Length]))
                    File.Delete(old);
        PackLog = ExternalTools.PackLocalFeed(RepositoryPaths.Root, Folder, Version, RepositoryPaths.Configuration);
    }

    /// <summary>notebooks/packages.</summary>
    public string Folder { get; }

    /// <summary>The version of this pack.</summary>
    public string Version { get; }

    /// <summary>What `dotnet pack` printed.</summary>
    public string PackLog { get; }

    /// <summary>The path of one package of this pack.</summary>
    public string Package(string id)
    {
        string path = Path.Combine(Folder, $"{id}.{Version}.nupkg");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} was not packed:\n{PackLog}");
    }
}

/// <summary>Notebook runs share the local feed and the machine's two cores: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection : ICollectionFixture<LocalFeed>
{
    public const string Name = "notebooks";
}
