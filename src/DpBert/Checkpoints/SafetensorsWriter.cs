using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using DpBert.Bert;

namespace DpBert.Checkpoints;

/// <summary>
/// Collects named float32 tensors and writes them as one safetensors file: the header padded with
/// spaces to a multiple of 8 bytes (so the data buffer is 8-byte aligned), tensors laid out in
/// ordinal name order, as Hugging Face writes them.
/// </summary>
/// <remarks>
/// <see cref="Save"/> is atomic: it writes a temporary file in the target's folder, flushes it to
/// disk and renames it over the target, so a failure part-way never leaves a corrupt or half-written
/// file where the old one was. Tensor data is read when <see cref="Save"/> runs, not when added.
/// </remarks>
public sealed class SafetensorsWriter
{
    private sealed record Entry(string Name, long[] Shape, long ElementCount, ReadOnlyMemory<float> Data, Action<Span<float>>? Fill);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The header's <c>__metadata__</c>; starts as <c>{"format": "pt"}</c>, as PyTorch checkpoints carry.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };

    /// <summary>Number of tensors added.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds a tensor whose values are <paramref name="data"/> (read at <see cref="Save"/> time, not copied now).</summary>
    /// <exception cref="ArgumentException">The name is empty, reserved or already added, a dimension is negative, or
    /// <paramref name="data"/> does not hold exactly the product of <paramref name="shape"/> elements.</exception>
    public void Add(string name, ReadOnlySpan<long> shape, ReadOnlyMemory<float> data)
    {
        long count = CheckNewTensor(name, shape);
        if (data.Length != count)
            throw new ArgumentException($"tensor \"{name}\" {SafetensorsTensorInfo.FormatShape(shape.ToArray())} needs {count} values, " +
                $"but {data.Length} were given", nameof(data));
        _entries.Add(name, new Entry(name, shape.ToArray(), count, data, null));
    }

    /// <summary>
    /// Adds a tensor whose values are produced during <see cref="Save"/>: <paramref name="fill"/>
    /// receives a zeroed buffer of the tensor's element count and writes the values into it. Useful
    /// for values computed on the way out (e.g. splitting a fused weight back into Hugging Face keys).
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, reserved or already added, or a dimension is negative.</exception>
    public void Add(string name, ReadOnlySpan<long> shape, Action<Span<float>> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        long count = CheckNewTensor(name, shape);
        if (count > Array.MaxLength)
            throw new ArgumentException($"tensor \"{name}\" has {count} elements, too many to produce in one buffer", nameof(shape));
        _entries.Add(name, new Entry(name, shape.ToArray(), count, default, fill));
    }

    /// <summary>Adds every parameter of <paramref name="parameters"/> under its Hugging Face key.</summary>
    /// <exception cref="ArgumentException">A key was already added.</exception>
    public void Add(ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters.Parameters)
            Add(p.Name, Array.ConvertAll(p.Shape, d => (long)d), parameters.Data.AsMemory(checked((int)p.Offset), p.Length));
    }

    private long CheckNewTensor(string name, ReadOnlySpan<long> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafetensorsHeader.MetadataKey)
            throw new ArgumentException($"\"{SafetensorsHeader.MetadataKey}\" is reserved for the metadata and cannot name a tensor", nameof(name));
        if (_entries.ContainsKey(name))
            throw new ArgumentException($"tensor \"{name}\" was already added", nameof(name));
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"tensor \"{name}\": shape {SafetensorsTensorInfo.FormatShape(shape.ToArray())} has a negative dimension", nameof(shape));
            count = checked(count * d);
        }
        return count;
    }

    /// <summary>Writes the file atomically (temporary file, flush to disk, rename over <paramref name="path"/>).</summary>
    /// <exception cref="IOException">Writing failed; an existing file at <paramref name="path"/> is left as it was.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ordered = _entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        byte[] header = BuildHeader(ordered);

        string fullPath = System.IO.Path.GetFullPath(path);
        string folder = System.IO.Path.GetDirectoryName(fullPath)!;
        string temp = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var entry in ordered) WriteData(stream, entry);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (IOException) { } // the original failure is the one worth reporting
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    private byte[] BuildHeader(List<Entry> ordered)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in ordered)
            {
                long end = checked(offset + entry.ElementCount * sizeof(float));
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", SafetensorsDtype.F32.HeaderName());
                json.WriteStartArray("shape");
                foreach (long d in entry.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) & ~7;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(FileStream stream, Entry entry)
    {
        if (entry.Fill is null)
        {
            WriteLittleEndian(stream, entry.Data.Span);
            return;
        }
        var values = new float[entry.ElementCount];
        entry.Fill(values);
        WriteLittleEndian(stream, values);
    }

    private static void WriteLittleEndian(FileStream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> chunk = stackalloc byte[4096];
        while (!values.IsEmpty)
        {
            int n = Math.Min(values.Length, chunk.Length / sizeof(float));
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(chunk[(4 * i)..], values[i]);
            stream.Write(chunk[..(n * sizeof(float))]);
            values = values[n..];
        }
    }
}
