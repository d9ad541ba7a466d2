using System.Text;
using DpBert.Checkpoints;
using DpBert.Tests.Checkpoints;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// <see cref="SafetensorsFile"/>: open (header validated in full) and read every tensor, as float32 when it converts,
/// else as raw bytes. Typed error: <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class SafetensorsTarget : FuzzTarget
{
    public override string Name => "safetensors";

    public override string Description => "model.safetensors: SafetensorsFile.Open, then every tensor read";

    protected override string FileName => "model.safetensors";

    protected override void Read(ReadOnlySpan<byte> input, string path)
    {
        using var file = SafetensorsFile.Open(path);
        foreach (var tensor in file.Tensors)
        {
            if (tensor.Dtype.ConvertsToFloat32()) file.ReadFloat32(tensor.Name);
            else if (file.GetBytes(tensor).Length != tensor.ByteLength)
                throw new ReaderContractViolation($"{path}: tensor \"{tensor.Name}\" spans {file.GetBytes(tensor).Length} bytes, the header says {tensor.ByteLength}");
        }
    }

    protected override bool IsTypedError(Exception error) => error is InvalidDataException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // Small real tensors of the golden model (LayerNorm, pooler and classifier biases) in every float dtype it converts.
        using var golden = SafetensorsFile.Open(Path.Combine(SeedFiles.TinyModelFolder, "model.safetensors"));
        var picked = golden.Tensors.Where(t => t.ElementCount <= 64).Take(3).ToArray();
        (string, string, long[], byte[]) Golden(SafetensorsTensorInfo t) => (t.Name, "F32", t.Shape.ToArray(), golden.GetBytes(t).ToArray());
        yield return new("golden-f32", SeedFiles.Built(p => RawSafetensors.WriteTensors(p, [.. picked.Select(Golden)])));
        var bias = golden.ReadFloat32(picked[0].Name);
        yield return new("golden-f16-bf16-f64", SeedFiles.Built(p => RawSafetensors.WriteTensors(p,
            ("half", "F16", [bias.Length], [.. bias.SelectMany(v => BitConverter.GetBytes((Half)v))]),
            ("bf16", "BF16", [2, bias.Length / 2], [.. bias.SelectMany(v => BitConverter.GetBytes(BitConverter.SingleToInt32Bits(v) >>> 16).Take(2))]),
            ("double", "F64", [4], [.. bias.Take(4).SelectMany(v => BitConverter.GetBytes((double)v))]))));
        // Integer and boolean buffers (position_ids), a scalar, an empty tensor, no metadata.
        yield return new("ints-scalar-empty", SeedFiles.Built(p => RawSafetensors.WriteTensors(p,
            ("position_ids", "I64", [1, 4], [.. Enumerable.Range(0, 4).SelectMany(i => BitConverter.GetBytes((long)i))]),
            ("mask", "BOOL", [3], [1, 0, 1]),
            ("scalar", "F32", [], BitConverter.GetBytes(1.5f)),
            ("empty", "F32", [0, 64], []))));
        yield return new("no-metadata", SeedFiles.Built(p => RawSafetensors.Write(p,
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}  ", Encoding.ASCII.GetBytes("ok"))));
    }
}
