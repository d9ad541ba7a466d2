using System.Buffers.Binary;
using System.Text;

namespace DpBert.Tests.Checkpoints;

/// <summary>
/// Builds safetensors files byte by byte, independently of the code under test, including
/// deliberately malformed ones.
/// </summary>
internal static class RawSafetensors
{
    /// <summary>Writes <c>u64 header length | header | data</c>; <paramref name="declaredHeaderLength"/> overrides the length field.</summary>
    public static void Write(string path, string header, byte[] data, ulong? declaredHeaderLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        Write(path, json, data, declaredHeaderLength);
    }

    public static void Write(string path, byte[] header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A well-formed file: tensors laid out one after another in the given order.</summary>
    public static void WriteTensors(string path, params (string Name, string Dtype, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            header.Append($",\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + data.Length}]}}");
            offset += data.Length;
        }
        header.Append('}');
        Write(path, header.ToString(), tensors.SelectMany(t => t.Data).ToArray());
    }

    public static byte[] Float32Bytes(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>
    /// Reads every F32 tensor of a file with <see cref="BinaryReader"/> and a JSON document, without
    /// the code under test.
    /// </summary>
    public static Dictionary<string, float[]> ReadAllFloat32(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        long headerLength = (long)reader.ReadUInt64();
        using var header = System.Text.Json.JsonDocument.Parse(reader.ReadBytes((int)headerLength));
        long dataStart = 8 + headerLength;
        var tensors = new Dictionary<string, float[]>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            string? dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new InvalidDataException($"{path}: tensor \"{entry.Name}\" is {dtype}; this reader handles F32 only");
            long begin = entry.Value.GetProperty("data_offsets")[0].GetInt64();
            long end = entry.Value.GetProperty("data_offsets")[1].GetInt64();
            reader.BaseStream.Position = dataStart + begin;
            var values = new float[(end - begin) / 4];
            for (int i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
            tensors.Add(entry.Name, values);
        }
        return tensors;
    }
}
