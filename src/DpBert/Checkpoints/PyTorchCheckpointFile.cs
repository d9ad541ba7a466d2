using System.IO.Compression;

namespace DpBert.Checkpoints;

/// <summary>
/// A <c>pytorch_model.bin</c> written by <c>torch.save</c> (PyTorch 1.6 and later): a zip holding
/// <c>&lt;archive&gt;/data.pkl</c> (the pickled state dict), <c>&lt;archive&gt;/data/&lt;key&gt;</c> (one raw
/// little-endian storage per key) and <c>&lt;archive&gt;/version</c>. The pickle is read by
/// <see cref="RestrictedUnpickler"/>, which executes nothing and refuses any global a state dict does not
/// need. Every tensor is read into memory, contiguous, on open; strided views of a storage are gathered.
/// </summary>
/// <remarks>
/// Tensors are described with safetensors dtype names; <see cref="SafetensorsTensorInfo.DataBegin"/> is 0 and
/// <see cref="SafetensorsTensorInfo.DataEnd"/> the byte length of the tensor's contiguous copy.
/// </remarks>
public sealed class PyTorchCheckpointFile : ICheckpointTensors
{
    private readonly Dictionary<string, (SafetensorsTensorInfo Info, byte[] Bytes)> _byName;

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    private PyTorchCheckpointFile(string path, List<(SafetensorsTensorInfo Info, byte[] Bytes)> tensors)
    {
        Path = path;
        Tensors = tensors.Select(t => t.Info).ToArray();
        _byName = tensors.ToDictionary(t => t.Info.Name, StringComparer.Ordinal);
    }

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">
    /// Not a zip (or a pre-1.6 legacy pickle), no <c>data.pkl</c>, a pickle the restricted reader refuses (the
    /// message names the global or opcode and its offset), a missing storage, or a storage shorter than a tensor
    /// that views it. The message names the file and the key.
    /// </exception>
    public static PyTorchCheckpointFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read); }
        catch (InvalidDataException e)
        {
            stream.Position = 0;
            bool legacyPickle = stream.ReadByte() == 0x80;
            throw new InvalidDataException(legacyPickle
                ? $"{path}: a legacy (pre-zip, PyTorch < 1.6) torch.save file, which is not supported; re-save it with a recent PyTorch or use model.safetensors"
                : $"{path}: not a PyTorch checkpoint (not a zip archive: {e.Message})", e);
        }
        using (zip)
        {
            var pickleEntry = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                ?? throw new InvalidDataException($"{path}: the zip has no data.pkl, so it is not a torch.save checkpoint (entries: {string.Join(", ", zip.Entries.Take(5).Select(e => e.FullName))})");
            string prefix = pickleEntry.FullName[..^"data.pkl".Length];
            var stateDict = RestrictedUnpickler.ReadStateDict(ReadEntry(pickleEntry, path), $"{path}: {pickleEntry.FullName}");

            var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var tensors = new List<(SafetensorsTensorInfo, byte[])>(stateDict.Count);
            foreach (var (name, tensor) in stateDict)
            {
                var storage = tensor.Storage;
                if (!storages.TryGetValue(storage.Key, out byte[]? bytes))
                {
                    string entryName = prefix + "data/" + storage.Key;
                    var entry = zip.GetEntry(entryName)
                        ?? throw new InvalidDataException($"{path}: tensor \"{name}\": storage entry {entryName} is missing from the zip");
                    bytes = ReadEntry(entry, path);
                    long expected = storage.ElementCount > long.MaxValue / 8 ? long.MaxValue : storage.ElementCount * storage.Dtype.ElementSize();
                    if (bytes.LongLength < expected)
                        throw new InvalidDataException($"{path}: tensor \"{name}\": storage {entryName} holds {bytes.LongLength} bytes, " +
                            $"shorter than its {storage.ElementCount} {storage.TypeName} elements ({expected} bytes)");
                    storages.Add(storage.Key, bytes);
                }
                try { tensors.Add(Materialize(path, name, tensor, bytes)); }
                catch (OverflowException)
                {
                    throw new InvalidDataException($"{path}: tensor \"{name}\": shape {SafetensorsTensorInfo.FormatShape(tensor.Shape)}, " +
                        $"strides {SafetensorsTensorInfo.FormatShape(tensor.Strides)} or offset {tensor.StorageOffset} overflow a 64-bit size");
                }
            }
            return new PyTorchCheckpointFile(path, tensors);
        }
    }

    /// <summary>True when <paramref name="tensor"/> exists in the file.</summary>
    public bool Contains(string tensor) => _byName.ContainsKey(tensor);

    /// <inheritdoc />
    public void CopyToFloat32(string name, Span<float> destination)
    {
        if (!_byName.TryGetValue(name, out var tensor)) throw new KeyNotFoundException($"{Path}: no tensor named \"{name}\"");
        if (destination.Length != tensor.Info.ElementCount)
            throw new ArgumentException($"{Path}: tensor \"{name}\" {tensor.Info.ShapeText} has {tensor.Info.ElementCount} elements, " +
                $"but the destination holds {destination.Length}", nameof(destination));
        if (!Float32Conversion.TryConvert(tensor.Info.Dtype, tensor.Bytes, destination))
            throw new InvalidDataException($"{Path}: tensor \"{name}\" has dtype {tensor.Info.Dtype.HeaderName()}, which does not convert to float32");
    }

    /// <summary>Nothing to release: the tensors are in memory.</summary>
    public void Dispose() { }

    /// <summary>The tensor's elements copied out of its storage in row-major order (the storage itself when it is exactly that).</summary>
    private static (SafetensorsTensorInfo, byte[]) Materialize(string path, string name, PickleTensor tensor, byte[] storage)
    {
        int size = tensor.Storage.Dtype.ElementSize();
        long count = tensor.Shape.Aggregate(1L, (a, b) => checked(a * b));
        long storageCount = storage.LongLength / size;
        if (count > 0)
        {
            long last = tensor.StorageOffset;
            for (int d = 0; d < tensor.Shape.Length; d++) last = checked(last + checked((tensor.Shape[d] - 1) * tensor.Strides[d]));
            if (last >= storageCount)
                throw new InvalidDataException($"{path}: tensor \"{name}\" {SafetensorsTensorInfo.FormatShape(tensor.Shape)} at offset {tensor.StorageOffset} " +
                    $"reaches element {last} of storage \"{tensor.Storage.Key}\", which has only {storageCount} (storage shorter than the tensor)");
        }
        if (checked(count * size) > Array.MaxLength) throw new InvalidDataException($"{path}: tensor \"{name}\" is too large to read ({count * size} bytes)");
        var info = new SafetensorsTensorInfo(name, tensor.Storage.Dtype, tensor.Shape, 0, count * size);

        bool contiguous = IsRowMajor(tensor.Shape, tensor.Strides);
        if (contiguous && tensor.StorageOffset == 0 && count == storageCount) return (info, storage);
        var bytes = new byte[count * size];
        if (contiguous)
        {
            Array.Copy(storage, tensor.StorageOffset * size, bytes, 0, bytes.LongLength);
            return (info, bytes);
        }
        var index = new long[tensor.Shape.Length];
        for (long e = 0; e < count; e++)
        {
            long source = tensor.StorageOffset;
            for (int d = 0; d < index.Length; d++) source += index[d] * tensor.Strides[d];
            Array.Copy(storage, source * size, bytes, e * size, size);
            for (int d = index.Length - 1; d >= 0 && ++index[d] == tensor.Shape[d]; d--) index[d] = 0;
        }
        return (info, bytes);
    }

    private static bool IsRowMajor(long[] shape, long[] strides)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, string path)
    {
        if (entry.Length > Array.MaxLength) throw new InvalidDataException($"{path}: zip entry {entry.FullName} is too large ({entry.Length} bytes)");
        var bytes = new byte[entry.Length];
        using var stream = entry.Open();
        stream.ReadExactly(bytes);
        return bytes;
    }
}
