using System.IO.Compression;

namespace DpBert.Checkpoints;

/// <summary>
/// A <c>pytorch_model.bin</c> written by <c>torch.save</c>: since PyTorch 1.6 a zip holding
/// <c>&lt;archive&gt;/data.pkl</c> (the pickled state dict), <c>&lt;archive&gt;/data/&lt;key&gt;</c> (one raw
/// little-endian storage per key) and <c>&lt;archive&gt;/version</c>; before, a sequence of pickles followed by the
/// raw storages (many checkpoints on the Hugging Face Hub are in this legacy format). The pickles are read by
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

    /// <summary>Reads <paramref name="path"/>: a <c>torch.save</c> zip, or the legacy format of PyTorch 0.4 to 1.5.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">
    /// Neither format, no <c>data.pkl</c>, a pickle the restricted reader refuses (the message names the global or
    /// opcode and its offset), a missing storage, or a storage shorter than a tensor that views it. The message names
    /// the file and the key.
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
            if (stream.ReadByte() == 0x80) return FromLegacy(path, File.ReadAllBytes(path));
            throw new InvalidDataException($"{path}: not a PyTorch checkpoint (not a zip archive, nor a legacy torch.save pickle: {e.Message})", e);
        }
        using (zip) return FromZip(path, zip, stream.Length);
    }

    private static PyTorchCheckpointFile FromZip(string path, ZipArchive zip, long archiveLength)
    {
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try { entries = zip.Entries; } // the central directory is read here, not when the zip is opened
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: the zip's central directory is corrupt: {e.Message}", e); }
        var pickleEntry = entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException($"{path}: the zip has no data.pkl, so it is not a torch.save checkpoint (entries: {string.Join(", ", entries.Take(5).Select(e => e.FullName))})");
        string prefix = pickleEntry.FullName[..^"data.pkl".Length];
        var stateDict = RestrictedUnpickler.ReadStateDict(ReadEntry(pickleEntry, path, archiveLength), $"{path}: {pickleEntry.FullName}");
        return Build(path, stateDict, (name, storage) =>
        {
            string entryName = prefix + "data/" + storage.Key;
            var entry = zip.GetEntry(entryName)
                ?? throw new InvalidDataException($"{path}: tensor \"{name}\": storage entry {entryName} is missing from the zip");
            var bytes = ReadEntry(entry, path, archiveLength);
            CheckStorageLength(path, name, storage, entryName, bytes.LongLength);
            return bytes;
        });
    }

    /// <summary>
    /// The format <c>torch.save</c> wrote before PyTorch 1.6 (and with <c>_use_new_zipfile_serialization=False</c>):
    /// pickles of the magic number, the protocol version (1001) and system information, then the state dict, then the
    /// list of storage keys; after them each storage in that order as an int64 element count and its raw bytes.
    /// </summary>
    private static PyTorchCheckpointFile FromLegacy(string path, byte[] data)
    {
        var legacyMagic = System.Numerics.BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);
        int position = 0;
        string source = $"{path} (legacy torch.save format)";
        if (RestrictedUnpickler.ReadValue(data, ref position, source) is not System.Numerics.BigInteger magic || magic != legacyMagic)
            throw new InvalidDataException($"{path}: a pickle, but not a torch.save file (no legacy magic number) and not a zip archive");
        if (RestrictedUnpickler.ReadValue(data, ref position, source) is not 1001L)
            throw new InvalidDataException($"{path}: legacy torch.save protocol version is not 1001");
        if (RestrictedUnpickler.ReadValue(data, ref position, source) is PickleDict info
            && info.Items.Any(i => i.Key is "little_endian" && i.Value is false))
            throw new InvalidDataException($"{path}: saved on a big-endian machine, which is not supported");
        var stateDict = RestrictedUnpickler.ReadStateDict(data, ref position, source);
        if (RestrictedUnpickler.ReadValue(data, ref position, source) is not PickleList keyList || keyList.Items.Any(k => k is not string))
            throw new InvalidDataException($"{path}: the list of storage keys after the state dict is missing or malformed");

        // The first tensor of each storage: the storage's element type, and the name its errors give.
        var byKey = stateDict.GroupBy(t => t.Value.Storage.Key).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string key in keyList.Items.Cast<string>())
        {
            if (!byKey.TryGetValue(key, out var first))
                throw new InvalidDataException($"{path}: storage \"{key}\" is listed but no tensor uses it, so its element size is unknown");
            var storage = first.Value.Storage;
            if (position + 8L > data.Length) throw new InvalidDataException($"{path}: storage \"{key}\": the file ends before its element count (truncated)");
            long count = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(position, 8));
            position += 8;
            long length = count is >= 0 and <= int.MaxValue ? count * storage.Dtype.ElementSize() : -1;
            if (length < 0 || position + length > data.Length)
                throw new InvalidDataException($"{path}: storage \"{key}\": {count} {storage.TypeName} elements run past the end of the file (truncated)");
            CheckStorageLength(path, first.Key, storage, $"storage \"{key}\"", length);
            storages[key] = data.AsSpan(position, (int)length).ToArray();
            position += (int)length;
        }
        return Build(path, stateDict, (name, storage) => storages.TryGetValue(storage.Key, out var bytes) ? bytes
            : throw new InvalidDataException($"{path}: tensor \"{name}\": storage \"{storage.Key}\" is not in the file's storage list"));
    }

    /// <summary>Reads each storage once (<paramref name="storageBytes"/>) and copies every tensor out of it.</summary>
    private static PyTorchCheckpointFile Build(string path, IReadOnlyList<KeyValuePair<string, PickleTensor>> stateDict, Func<string, PickleStorage, byte[]> storageBytes)
    {
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var tensors = new List<(SafetensorsTensorInfo, byte[])>(stateDict.Count);
        foreach (var (name, tensor) in stateDict)
        {
            if (!storages.TryGetValue(tensor.Storage.Key, out byte[]? bytes))
            {
                bytes = storageBytes(name, tensor.Storage);
                storages.Add(tensor.Storage.Key, bytes);
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

    private static void CheckStorageLength(string path, string name, PickleStorage storage, string where, long actualBytes)
    {
        long expected = storage.ElementCount > long.MaxValue / 8 ? long.MaxValue : storage.ElementCount * storage.Dtype.ElementSize();
        if (actualBytes < expected)
            throw new InvalidDataException($"{path}: tensor \"{name}\": {where} holds {actualBytes} bytes, " +
                $"shorter than its {storage.ElementCount} {storage.TypeName} elements ({expected} bytes)");
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
        // A view that repeats elements (a stride of 0, overlapping strides) would be copied into more bytes than its storage
        // holds: a few bytes of file could then announce gigabytes. State dicts hold no such views (expanded buffers such as
        // position_ids [1, n] repeat only along a dimension of 1).
        if (count > storageCount)
            throw new InvalidDataException($"{path}: tensor \"{name}\" {SafetensorsTensorInfo.FormatShape(tensor.Shape)} with strides " +
                $"{SafetensorsTensorInfo.FormatShape(tensor.Strides)} has {count} elements, more than the {storageCount} of its storage " +
                $"\"{tensor.Storage.Key}\" (a view that repeats elements; not a state dict tensor)");
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

    /// <summary>Deflate expands at most about 1032 to 1; a zip whose directory announces more is lying about the size.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// The bytes of a zip entry. The sizes in the zip's directory are announcements: the buffer is allocated only for
    /// what the compressed bytes in the file can hold, and an entry that ends early (or is corrupt) is an error naming
    /// the file and the entry, not an <see cref="EndOfStreamException"/> from the zip reader.
    /// </summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, string path, long archiveLength)
    {
        if (entry.CompressedLength > archiveLength || entry.Length > Array.MaxLength || entry.Length > (entry.CompressedLength + 1) * MaxDeflateRatio)
            throw new InvalidDataException($"{path}: zip entry {entry.FullName} announces {entry.Length} bytes from {entry.CompressedLength} " +
                $"compressed bytes in a file of {archiveLength}, which no zip holds (corrupt)");
        try
        {
            var bytes = new byte[entry.Length];
            using var stream = entry.Open();
            int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (read < bytes.Length)
                throw new InvalidDataException($"{path}: zip entry {entry.FullName} holds {read} bytes, but the zip's directory announces {entry.Length} (truncated)");
            return bytes;
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: zip entry {entry.FullName}: {e.Message}", e);
        }
    }
}
