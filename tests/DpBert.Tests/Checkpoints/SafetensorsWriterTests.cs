using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DpBert.Checkpoints;

namespace DpBert.Tests.Checkpoints;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    [Fact]
    public void Round_trip_is_bit_identical_including_special_values()
    {
        float[] special = [0f, -0f, 1f, -1.5f, float.Epsilon, -float.Epsilon, 1e-40f, float.MaxValue, float.MinValue,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(0x7FC0_1234), MathF.PI];
        var random = new Random(7);
        float[] matrix = Enumerable.Range(0, 3 * 5).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var writer = new SafetensorsWriter();
        writer.Metadata["epoch"] = "3";
        writer.Metadata["note"] = "ünïcode, \"quotes\" and + signs";
        writer.Add("special", [special.Length], special);
        writer.Add("layer.weight", [3, 5], matrix);
        writer.Add("scalar", [], new float[] { 42f });
        writer.Add("empty", [0, 4], ReadOnlyMemory<float>.Empty);
        string path = _temp.File("roundtrip.safetensors");

        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(Bits(special), Bits(file.ReadFloat32("special")));
        Assert.Equal(Bits(matrix), Bits(file.ReadFloat32("layer.weight")));
        Assert.Equal([3L, 5L], file.GetTensor("layer.weight").Shape);
        Assert.Empty(file.GetTensor("scalar").Shape);
        Assert.Equal([42f], file.ReadFloat32("scalar"));
        Assert.Equal([0L, 4L], file.GetTensor("empty").Shape);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3", ["note"] = "ünïcode, \"quotes\" and + signs" },
            file.Metadata);
    }

    [Fact]
    public void Layout_is_space_padded_header_then_tensors_in_ordinal_name_order()
    {
        var writer = new SafetensorsWriter();
        writer.Add("b", [1], new[] { 2f });
        writer.Add("B", [2], new[] { 1f, 1f });
        writer.Add("a.x", [3], new[] { 3f, 3f, 3f });
        writer.Add("_", [1], new[] { 4f });
        string path = _temp.File("layout.safetensors");

        writer.Save(path);

        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{", header);
        Assert.EndsWith("}", header.TrimEnd(' '));
        Assert.InRange(header.Length - header.TrimEnd(' ').Length, 0, 7); // only the padding follows the JSON
        using var json = JsonDocument.Parse(header);
        var order = json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .OrderBy(p => p.Value.GetProperty("data_offsets")[0].GetInt64()).Select(p => p.Name).ToArray();
        Assert.Equal(["B", "_", "a.x", "b"], order); // ordinal: upper case < '_' < lower case
        Assert.Equal(8 + headerLength + 7 * 4, bytes.Length);
        Assert.Equal(RawSafetensors.Float32Bytes(1f, 1f, 4f, 3f, 3f, 3f, 2f), bytes[(int)(8 + headerLength)..]);
    }

    [Fact]
    public void Rewriting_the_golden_model_reproduces_its_data_buffer_byte_for_byte()
    {
        // The golden file is F32 in name order too, so only the header may differ.
        string path = _temp.File("rewritten.safetensors");
        using (var golden = SafetensorsFile.Open(GoldenFiles.TinyModel))
        {
            var writer = new SafetensorsWriter();
            foreach (var t in golden.Tensors) writer.Add(t.Name, t.Shape.ToArray(), golden.ReadFloat32(t.Name));
            writer.Save(path);
        }

        byte[] goldenBytes = File.ReadAllBytes(GoldenFiles.TinyModel), ourBytes = File.ReadAllBytes(path);
        using var goldenFile = SafetensorsFile.Open(GoldenFiles.TinyModel);
        using var ours = SafetensorsFile.Open(path);
        Assert.Equal(goldenBytes[(int)goldenFile.DataOffset..], ourBytes[(int)ours.DataOffset..]);
        Assert.Equal(goldenFile.Tensors.Select(t => (t.Name, t.DataBegin, t.DataEnd)), ours.Tensors.Select(t => (t.Name, t.DataBegin, t.DataEnd)));
        Assert.Equal(goldenFile.Metadata, ours.Metadata);
    }

    [Fact]
    public void Data_shorter_than_its_shape_is_rejected_before_anything_is_written()
    {
        string path = _temp.File("model.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var writer = new SafetensorsWriter();

        var e = Assert.Throws<ArgumentException>(() => writer.Add("short", [2, 3], new float[5]));

        Assert.Contains("\"short\" [2, 3] needs 6 values, but 5 were given", e.Message);
        Assert.Equal(0, writer.Count);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
    }

    [Fact]
    public void Failure_after_the_temporary_file_was_started_leaves_the_previous_file_intact_and_no_temporary_file()
    {
        string path = _temp.File("model.safetensors");
        var previous = new SafetensorsWriter();
        previous.Add("w", [2], new[] { 1f, 2f });
        previous.Save(path);
        byte[] before = File.ReadAllBytes(path);

        var writer = new SafetensorsWriter();
        writer.Add("a", [4], new[] { 9f, 9f, 9f, 9f });
        string[]? filesDuringWrite = null;
        writer.Add("b", [3], values =>
        {
            filesDuringWrite = Directory.GetFiles(_temp.Path);
            throw new IOException("disk full (simulated)");
        });

        var e = Assert.Throws<IOException>(() => writer.Save(path));

        Assert.Equal("disk full (simulated)", e.Message);
        Assert.NotNull(filesDuringWrite);
        Assert.Contains(filesDuringWrite, f => f.EndsWith(".tmp", StringComparison.Ordinal)); // the failure came mid-write
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([1f, 2f], file.ReadFloat32("w"));
    }

    [Fact]
    public void Save_replaces_an_existing_file()
    {
        string path = _temp.File("model.safetensors");
        var first = new SafetensorsWriter();
        first.Add("w", [1], new[] { 1f });
        first.Save(path);
        var second = new SafetensorsWriter();
        second.Add("w", [2], new[] { 5f, 6f });

        second.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal([5f, 6f], file.ReadFloat32("w"));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void Invalid_tensor_names_and_shapes_are_rejected()
    {
        var writer = new SafetensorsWriter();
        writer.Add("x", [1], new[] { 1f });
        Assert.Contains("already added", Assert.Throws<ArgumentException>(() => writer.Add("x", [1], new[] { 1f })).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [1], new[] { 1f })).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => writer.Add("y", [-1], ReadOnlyMemory<float>.Empty)).Message);
        Assert.Throws<ArgumentException>(() => writer.Add("", [1], new[] { 1f }));
    }
}
