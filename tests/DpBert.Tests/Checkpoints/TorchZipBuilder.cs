using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DpBert.Tests.Checkpoints;

/// <summary>
/// Writes <c>torch.save</c>-style zips for tests, byte for byte the way PyTorch lays them out: <c>archive/data.pkl</c>
/// (a protocol-2 pickle of a dict of <c>_rebuild_tensor_v2</c> calls on persistent storages), <c>archive/data/&lt;key&gt;</c>
/// and <c>archive/version</c>; or, with <see cref="SaveLegacy"/>, the pre-1.6 format (pickles of the magic number,
/// protocol version and system information, the state dict, the storage keys, then each storage as an int64 element
/// count and its bytes). Hooks let a test break one piece at a time.
/// </summary>
internal sealed class TorchZipBuilder
{
    private readonly List<Entry> _entries = [];

    private sealed record Entry(string Name, string StorageType, int ElementSize, byte[] Storage, long[] Shape, long[] Strides, long Offset, long StorageElements);

    /// <summary>Replaces the pickle entirely (for malformed-pickle tests).</summary>
    public byte[]? PickleOverride { get; set; }

    /// <summary>Leaves data.pkl out of the zip.</summary>
    public bool OmitPickle { get; set; }

    /// <summary>Adds a contiguous float32 tensor.</summary>
    public TorchZipBuilder AddFloat32(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return AddRaw(name, "FloatStorage", 4, bytes, shape, RowMajorStrides(shape), 0, values.Length);
    }

    /// <summary>Adds a contiguous float16 tensor.</summary>
    public TorchZipBuilder AddFloat16(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
        return AddRaw(name, "HalfStorage", 2, bytes, shape, RowMajorStrides(shape), 0, values.Length);
    }

    /// <summary>Adds a contiguous bfloat16 tensor (values truncated to their upper 16 bits).</summary>
    public TorchZipBuilder AddBFloat16(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)(BitConverter.SingleToInt32Bits(values[i]) >>> 16));
        return AddRaw(name, "BFloat16Storage", 2, bytes, shape, RowMajorStrides(shape), 0, values.Length);
    }

    /// <summary>Adds any view of a storage: the storage bytes, the element count the persistent id claims, shape, strides, offset.</summary>
    public TorchZipBuilder AddRaw(string name, string storageType, int elementSize, byte[] storage, long[] shape, long[] strides, long offset, long storageElements)
    {
        _entries.Add(new Entry(name, storageType, elementSize, storage, shape, strides, offset, storageElements));
        return this;
    }

    public static long[] RowMajorStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long step = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { strides[d] = step; step *= shape[d]; }
        return strides;
    }

    public void Save(string path)
    {
        using var file = new FileStream(path, FileMode.Create);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        if (!OmitPickle) Write(zip, "archive/data.pkl", PickleOverride ?? Pickle());
        for (int i = 0; i < _entries.Count; i++) Write(zip, $"archive/data/{i}", _entries[i].Storage);
        Write(zip, "archive/version", Encoding.ASCII.GetBytes("3\n"));
    }

    /// <summary>Writes the legacy format; <paramref name="truncateBy"/> drops that many bytes from the end.</summary>
    public void SaveLegacy(string path, int truncateBy = 0)
    {
        var bytes = new MemoryStream();
        var magic = new PickleWriter().Proto(2).Op(0x8a).Op(10);
        bytes.Write(magic.ToArray());
        bytes.Write(Convert.FromHexString("6c fc 9c 46 f9 20 6a a8 50 19".Replace(" ", "", StringComparison.Ordinal)));
        bytes.Write(new PickleWriter().Op('.').ToArray());
        bytes.Write(new PickleWriter().Proto(2).Op('M').Op(0xe9).Op(0x03).Op('.').ToArray()); // 1001
        bytes.Write(new PickleWriter().Proto(2).Op('}').Op('(').Unicode("protocol_version").Op('M').Op(0xe9).Op(0x03)
            .Unicode("little_endian").Op(0x88).Op('u').Op('.').ToArray());
        bytes.Write(PickleOverride ?? Pickle(legacy: true));
        var keys = new PickleWriter().Proto(2).Op(']').Op('(');
        for (int i = 0; i < _entries.Count; i++) keys.Unicode(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        bytes.Write(keys.Op('e').Op('.').ToArray());
        foreach (var e in _entries)
        {
            bytes.Write(BitConverter.GetBytes(e.StorageElements));
            bytes.Write(e.Storage);
        }
        File.WriteAllBytes(path, bytes.ToArray()[..^truncateBy]);
    }

    private static void Write(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }

    /// <summary>The pickle torch.save writes for a plain dict state dict (protocol 2, as in the golden pytorch_model.bin).</summary>
    private byte[] Pickle(bool legacy = false)
    {
        var p = new PickleWriter();
        p.Proto(2).Op('}').Op('(');
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            p.Unicode(e.Name).Global("torch._utils", "_rebuild_tensor_v2").Op('(');
            p.Op('(').Unicode("storage").Global("torch", e.StorageType).Unicode(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Unicode("cpu").Int(e.StorageElements);
            if (legacy) p.Op('N'); // the legacy persistent id ends with view metadata (None)
            p.Op('t').Op('Q');
            p.Int(e.Offset).Tuple(e.Shape).Tuple(e.Strides).Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R');
        }
        return p.Op('u').Op('.').ToArray();
    }
}

/// <summary>Emits pickle opcodes (only what the tests need).</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _bytes = new();

    public PickleWriter Op(char op) => Op((byte)op);

    public PickleWriter Op(byte op) { _bytes.WriteByte(op); return this; }

    public PickleWriter Proto(byte version) => Op(0x80).Op(version);

    public PickleWriter Unicode(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        Op('X');
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)utf8.Length);
        _bytes.Write(length);
        _bytes.Write(utf8);
        return this;
    }

    public PickleWriter Global(string module, string name)
    {
        Op('c');
        _bytes.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
        return this;
    }

    public PickleWriter Int(long value)
    {
        if (value is >= 0 and < 256) return Op('K').Op((byte)value);
        Op('J');
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, checked((int)value));
        _bytes.Write(bytes);
        return this;
    }

    public PickleWriter Tuple(long[] values)
    {
        Op('(');
        foreach (long v in values) Int(v);
        return Op('t');
    }

    public byte[] ToArray() => _bytes.ToArray();
}
