using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace DpBert.Checkpoints;

/// <summary>
/// A safetensors file opened read-only through a memory map: an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON describing each tensor (dtype, shape, byte range relative to the
/// data buffer) plus optional string metadata, then the data buffer. The header is validated in
/// full on open; tensor bytes are read from the map on demand, so opening a large checkpoint costs
/// only the header.
/// </summary>
/// <remarks>
/// Spans returned by <see cref="GetBytes(string)"/> point into the map and are valid only until
/// <see cref="Dispose"/>. Reading from several threads at once is safe.
/// </remarks>
public sealed unsafe class SafetensorsFile : ICheckpointTensors
{
    /// <summary>Largest header accepted (100 MB); anything larger is treated as corruption.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _start; // first byte of the file; null once disposed
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    /// <summary>The path the file was opened from; every error message names it.</summary>
    public string Path { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Length N of the JSON header (including any padding).</summary>
    public long HeaderLength { get; }

    /// <summary>File offset of the data buffer: <c>8 + N</c>.</summary>
    public long DataOffset => 8 + HeaderLength;

    /// <summary>Every tensor, in data-buffer order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Tensor names, in data-buffer order.</summary>
    public IReadOnlyList<string> TensorNames { get; }

    /// <summary>The header's <c>__metadata__</c> (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* start, long fileLength)
    {
        Path = path;
        _map = map;
        _view = view;
        _start = start;
        FileLength = fileLength;

        // Validation happens before the caller holds the object, so a throw must release the map.
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(start, 8));
        if (headerLength > (ulong)(fileLength - 8))
            throw SafetensorsHeader.Invalid(path, $"header length {headerLength} is past the end of the file ({fileLength} bytes; " +
                "truncated, or not a safetensors file)");
        if (headerLength > MaxHeaderLength)
            throw SafetensorsHeader.Invalid(path, $"header length {headerLength} is absurd (more than {MaxHeaderLength} bytes; " +
                "corrupt, or not a safetensors file)");
        HeaderLength = (long)headerLength;

        var header = SafetensorsHeader.Parse(new ReadOnlySpan<byte>(start + 8, (int)HeaderLength), fileLength - DataOffset, path);
        Tensors = header.Tensors;
        TensorNames = header.Tensors.Select(t => t.Name).ToArray();
        Metadata = header.Metadata;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Maps <paramref name="path"/> read-only and validates its header.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file; the message names the path and the problem.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* start = null;
        try
        {
            long length = stream.Length;
            if (length < 8)
                throw SafetensorsHeader.Invalid(path, $"file is {length} bytes, shorter than the 8-byte header length");
            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            start += view.PointerOffset;
            return new SafetensorsFile(path, map, view, start, length);
        }
        catch
        {
            if (start != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            stream.Dispose(); // already owned by the map when it exists; disposing twice is harmless
            throw;
        }
    }

    /// <summary>True when the file has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up a tensor's header entry.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafetensorsTensorInfo? info) =>
        _byName.TryGetValue(name, out info);

    /// <summary>The header entry of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the file and the tensor.</exception>
    public SafetensorsTensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"{Path}: no tensor named \"{name}\"");

    /// <summary>The raw little-endian bytes of tensor <paramref name="name"/>, straight from the map.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public ReadOnlySpan<byte> GetBytes(string name) => GetBytes(GetTensor(name));

    /// <summary>The raw little-endian bytes of a tensor of this file.</summary>
    /// <exception cref="ArgumentException">The entry does not belong to this file.</exception>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or larger, beyond what one span can address.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public ReadOnlySpan<byte> GetBytes(SafetensorsTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_start == null, this);
        if (!_byName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
            throw new ArgumentException($"{Path}: tensor \"{tensor.Name}\" is not an entry of this file", nameof(tensor));
        if (tensor.ByteLength > int.MaxValue)
            throw new NotSupportedException($"{Path}: tensor \"{tensor.Name}\" is {tensor.ByteLength} bytes, too large for one span");
        return new ReadOnlySpan<byte>(_start + DataOffset + tensor.DataBegin, (int)tensor.ByteLength);
    }

    /// <summary>
    /// Converts tensor <paramref name="name"/> to float32 into <paramref name="destination"/>, whose
    /// length must equal the tensor's element count. F32 is a plain copy; F16, BF16 and F64 are
    /// converted (F64 rounds to nearest).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ArgumentException">The destination length differs from the element count.</exception>
    /// <exception cref="InvalidDataException">The tensor's dtype is not F32, F16, BF16 or F64.</exception>
    public void CopyToFloat32(string name, Span<float> destination)
    {
        var tensor = GetTensor(name);
        if (destination.Length != tensor.ElementCount)
            throw new ArgumentException($"{Path}: tensor \"{name}\" {tensor.ShapeText} has {tensor.ElementCount} elements, " +
                $"but the destination holds {destination.Length}", nameof(destination));
        if (!Float32Conversion.TryConvert(tensor.Dtype, GetBytes(tensor), destination))
            throw SafetensorsHeader.Invalid(Path, $"tensor \"{name}\" has dtype {tensor.Dtype.HeaderName()}, which does not convert to float32");
    }

    /// <summary>Tensor <paramref name="name"/> converted to a new float32 array (see <see cref="CopyToFloat32"/>).</summary>
    public float[] ReadFloat32(string name)
    {
        var tensor = GetTensor(name);
        if (tensor.ElementCount > Array.MaxLength)
            throw new NotSupportedException($"{Path}: tensor \"{name}\" has {tensor.ElementCount} elements, too many for one array");
        var values = new float[tensor.ElementCount];
        CopyToFloat32(name, values);
        return values;
    }

    /// <summary>Unmaps the file. Spans obtained earlier must no longer be used.</summary>
    public void Dispose()
    {
        if (_start == null) return;
        _start = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
