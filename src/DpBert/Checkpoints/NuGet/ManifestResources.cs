using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace DpBert.Checkpoints.NuGet;

/// <summary>
/// Reads the manifest resources embedded in a .NET assembly (what <c>Assembly.GetManifestResourceStream</c> returns) from
/// the file's metadata, without loading the assembly or running any of its code.
/// </summary>
internal static class ManifestResources
{
    /// <summary>The names of the resources embedded in <paramref name="assemblyPath"/>; empty for a file that is not a .NET assembly.</summary>
    public static IReadOnlyList<string> Names(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) return [];
        var metadata = pe.GetMetadataReader();
        return metadata.ManifestResources.Select(h => metadata.GetManifestResource(h))
            .Where(r => r.Implementation.IsNil) // embedded in this file, not linked to another
            .Select(r => metadata.GetString(r.Name)).ToList();
    }

    /// <summary>Copies the embedded resource <paramref name="name"/> of <paramref name="assemblyPath"/> to <paramref name="targetPath"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="InvalidDataException">The assembly has no such embedded resource, or its resource table is malformed.</exception>
    public static long Extract(string assemblyPath, string name, string targetPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream, PEStreamOptions.PrefetchEntireImage);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || metadata.GetString(resource.Name) != name) continue;
            // Embedded resources sit in the CLI header's resources block, each as a 4-byte length then the bytes.
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out _))
                throw new InvalidDataException($"{assemblyPath}: the resources directory is outside the file");
            var block = pe.GetSectionData(directory.RelativeVirtualAddress);
            if (resource.Offset < 0 || resource.Offset + 4 > directory.Size)
                throw new InvalidDataException($"{assemblyPath}: resource \"{name}\" starts at {resource.Offset}, outside the {directory.Size}-byte resources block");
            var reader = block.GetReader(checked((int)resource.Offset), directory.Size - checked((int)resource.Offset));
            int length = reader.ReadInt32();
            if (length < 0 || length > reader.RemainingBytes)
                throw new InvalidDataException($"{assemblyPath}: resource \"{name}\" claims {length} bytes, more than the resources block holds");
            using var output = new FileStream(targetPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            unsafe { output.Write(new ReadOnlySpan<byte>(reader.CurrentPointer, length)); }
            output.Flush(flushToDisk: true);
            return length;
        }
        throw new InvalidDataException($"{assemblyPath}: no embedded resource named \"{name}\"");
    }
}
