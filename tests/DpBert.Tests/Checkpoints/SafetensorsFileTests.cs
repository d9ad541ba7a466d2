using System.Buffers.Binary;
using System.Text;
using DpBert.Checkpoints;

namespace DpBert.Tests.Checkpoints;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Golden_model_header_lists_41_F32_tensors_that_tile_the_data_buffer()
    {
        using var file = SafetensorsFile.Open(GoldenFiles.TinyModel);

        Assert.Equal(41, file.Tensors.Count);
        Assert.All(file.Tensors, t => Assert.Equal(SafetensorsDtype.F32, t.Dtype));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(0, file.DataOffset % 8); // the golden header is space-padded
        Assert.Equal(file.FileLength - file.DataOffset, file.Tensors[^1].DataEnd);
        var word = file.GetTensor("bert.embeddings.word_embeddings.weight");
        Assert.Equal([4096L, 64L], word.Shape);
        Assert.Equal(4096 * 64 * 4, word.ByteLength);
        Assert.Equal(file.Tensors.Select(t => t.Name), file.TensorNames);
    }

    [Fact]
    public void Golden_model_values_match_an_independent_BinaryReader_parse()
    {
        var expected = RawSafetensors.ReadAllFloat32(GoldenFiles.TinyModel);
        using var file = SafetensorsFile.Open(GoldenFiles.TinyModel);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), file.TensorNames.Order(StringComparer.Ordinal));
        foreach (var (name, values) in expected)
        {
            float[] read = file.ReadFloat32(name);
            Assert.Equal(values, read);
            // Raw access gives the same little-endian bytes.
            Assert.Equal(BinaryPrimitives.ReadSingleLittleEndian(file.GetBytes(name)), values[0]);
        }
    }

    [Fact]
    public void Converts_F16_BF16_F64_to_float32_and_exposes_integer_tensors_as_bytes()
    {
        string path = _temp.File("mixed.safetensors");
        var half = new byte[6];
        BinaryPrimitives.WriteHalfLittleEndian(half, (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(half.AsSpan(2), (Half)(-0.25f));
        BinaryPrimitives.WriteHalfLittleEndian(half.AsSpan(4), Half.PositiveInfinity);
        var bf16 = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(bf16, (ushort)(BitConverter.SingleToInt32Bits(3.140625f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(2), (ushort)(BitConverter.SingleToInt32Bits(-2f) >> 16));
        var f64 = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(f64, 0.1);
        BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(8), 1e300);
        var i64 = new byte[24];
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteInt64LittleEndian(i64.AsSpan(8 * i), i);
        RawSafetensors.WriteTensors(path,
            ("h", "F16", [3], half), ("b", "BF16", [2], bf16), ("d", "F64", [2], f64),
            ("ids", "I64", [1, 3], i64), ("flag", "BOOL", [], [1]), ("empty", "F32", [0, 5], []));

        using var file = SafetensorsFile.Open(path);

        Assert.Equal([1.5f, -0.25f, float.PositiveInfinity], file.ReadFloat32("h"));
        Assert.Equal([3.140625f, -2f], file.ReadFloat32("b"));
        Assert.Equal([0.1f, float.PositiveInfinity], file.ReadFloat32("d"));
        Assert.Equal(SafetensorsDtype.I64, file.GetTensor("ids").Dtype);
        Assert.Equal(2L, BinaryPrimitives.ReadInt64LittleEndian(file.GetBytes("ids")[16..]));
        Assert.Equal(1, file.GetTensor("flag").ElementCount); // a scalar
        Assert.Empty(file.ReadFloat32("empty"));
        var e = Assert.Throws<InvalidDataException>(() => file.ReadFloat32("ids"));
        Assert.Contains(path, e.Message);
        Assert.Contains("\"ids\"", e.Message);
        Assert.Contains("I64", e.Message);
        Assert.Throws<ArgumentException>(() => file.CopyToFloat32("h", new float[2]));
        var missing = Assert.Throws<KeyNotFoundException>(() => file.GetTensor("nope"));
        Assert.Contains("nope", missing.Message);
    }

    [Fact]
    public void Spans_are_refused_after_dispose()
    {
        var file = SafetensorsFile.Open(GoldenFiles.TinyModel);
        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.GetBytes("classifier.bias").Length);
    }

    // ---- malformed files: each names the file and the problem ----

    private InvalidDataException OpenFails(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        return e;
    }

    private const string TwoTensors =
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}""";

    [Fact]
    public void Well_formed_two_tensor_file_opens() // the baseline the malformed cases below deviate from
    {
        string path = _temp.File("ok.safetensors");
        RawSafetensors.Write(path, TwoTensors, new byte[20]);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["a", "b"], file.TensorNames);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Truncated_file_whose_data_is_shorter_than_the_header_promises()
    {
        string path = _temp.File("truncated.safetensors");
        RawSafetensors.Write(path, TwoTensors, new byte[13]);
        var e = OpenFails(path);
        Assert.Contains("\"b\"", e.Message);
        Assert.Contains("outside the data buffer of 13 bytes", e.Message);
    }

    [Fact]
    public void File_shorter_than_the_length_field()
    {
        string path = _temp.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("shorter than the 8-byte header length", OpenFails(path).Message);
    }

    [Fact]
    public void Header_length_past_the_end_of_the_file()
    {
        string path = _temp.File("longheader.safetensors");
        RawSafetensors.Write(path, TwoTensors, new byte[20], declaredHeaderLength: 5000);
        Assert.Contains("header length 5000 is past the end of the file", OpenFails(path).Message);
    }

    [Fact]
    public void Absurd_header_length_in_a_large_file()
    {
        string path = _temp.File("huge.safetensors");
        using (var stream = File.Create(path))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, 150_000_000);
            stream.Write(length);
            stream.SetLength(160_000_000); // sparse: costs no disk
        }
        Assert.Contains("header length 150000000 is absurd", OpenFails(path).Message);
    }

    [Theory]
    [InlineData("bad JSON", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", 8, "not valid JSON")]
    [InlineData("trailing text", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x""", 8, "not valid JSON")]
    [InlineData("not an object", """[1, 2]""", 0, "not a JSON object")]
    [InlineData("empty header", "   ", 0, "header is empty")]
    [InlineData("unknown dtype", """{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8, "tensor \"a\": unknown dtype \"Q4\"")]
    [InlineData("negative dimension", """{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "tensor \"a\": shape [-2] has a negative dimension")]
    [InlineData("fractional dimension", """{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,10]}}""", 10, "tensor \"a\": shape holds 2.5")]
    [InlineData("offsets reversed", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "tensor \"a\": data_offsets [8, 0] are not two ordered")]
    [InlineData("three offsets", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}""", 8, "tensor \"a\": data_offsets [0, 4, 8] are not two ordered")]
    [InlineData("offsets not integers", """{"a":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}}""", 8, "tensor \"a\": data_offsets holds String")]
    [InlineData("byte length vs shape", """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "tensor \"a\": data_offsets [0, 8] span 8 bytes, but F32 [3] needs 12")]
    [InlineData("missing field", """{"a":{"dtype":"F32","data_offsets":[0,8]}}""", 8, "tensor \"a\": missing field \"shape\"")]
    [InlineData("unknown field", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}}""", 8, "tensor \"a\": unknown field \"stride\"")]
    [InlineData("duplicate tensor", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16, "duplicate tensor name \"a\"")]
    [InlineData("duplicate metadata key", """{"__metadata__":{"k":"1","k":"2"}}""", 0, "duplicate key \"k\" in \"__metadata__\"")]
    [InlineData("metadata not string", """{"__metadata__":{"epoch":3}}""", 0, "\"__metadata__\" value of \"epoch\" is not a string")]
    [InlineData("overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "tensors \"a\" [0, 8] and \"b\" [4, 12] overlap")]
    [InlineData("hole between tensors", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20, "bytes [8, 12) of the data buffer belong to no tensor (a hole before \"b\")")]
    [InlineData("hole at the start", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "bytes [0, 4) of the data buffer belong to no tensor (a hole before \"a\")")]
    [InlineData("trailing bytes", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "bytes [8, 12) at the end of the data buffer belong to no tensor")]
    public void Malformed_header_is_rejected_naming_file_and_problem(string what, string header, int dataLength, string expected)
    {
        string path = _temp.File(what.Replace(' ', '-') + ".safetensors");
        RawSafetensors.Write(path, header, new byte[dataLength]);
        Assert.Contains(expected, OpenFails(path).Message);
    }

    [Fact]
    public void Header_that_is_not_UTF8_is_rejected()
    {
        string path = _temp.File("latin1.safetensors");
        byte[] header = [.. Encoding.UTF8.GetBytes("{\"caf"), 0xE9, .. Encoding.UTF8.GetBytes("\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}")];
        RawSafetensors.Write(path, header, new byte[4]);
        Assert.Contains("not valid UTF-8", OpenFails(path).Message);
    }
}
