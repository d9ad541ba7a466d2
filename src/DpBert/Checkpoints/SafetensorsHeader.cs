using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace DpBert.Checkpoints;

/// <summary>
/// Parses and validates the JSON header of a safetensors file: every entry well formed, byte
/// lengths consistent with dtype and shape, and the tensors tiling the data buffer exactly
/// (in-bounds, no overlap, no hole), as the format requires.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The reserved key of the free-form string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The tensors in data-buffer order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when absent or null).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsHeader(IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>An error about file <paramref name="path"/>; every reader failure goes through here.</summary>
    public static InvalidDataException Invalid(string path, string problem) => new($"{path}: {problem}");

    /// <summary>Parses <paramref name="utf8"/> and checks it against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    /// <exception cref="InvalidDataException">Anything is malformed; the message names <paramref name="path"/>, the problem and the tensor.</exception>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> utf8, long dataLength, string path)
    {
        if (!Utf8.IsValid(utf8)) throw Invalid(path, "the header is not valid UTF-8");
        if (utf8.TrimStart(" \t\r\n"u8).IsEmpty) throw Invalid(path, "the header is empty");

        var tensors = new List<SafetensorsTensorInfo>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        bool sawMetadata = false;
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Invalid(path, $"the header is not a JSON object (it starts with {reader.TokenType})");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string key = reader.GetString()!;
                if (key == MetadataKey)
                {
                    if (sawMetadata) throw Invalid(path, $"duplicate key \"{MetadataKey}\" in the header");
                    sawMetadata = true;
                    metadata = ReadMetadata(ref reader, path);
                }
                else
                {
                    if (!names.Add(key)) throw Invalid(path, $"duplicate tensor name \"{key}\" in the header");
                    tensors.Add(ReadTensor(ref reader, key, path));
                }
            }
            // A well-formed object ends here; trailing non-space text makes the reader throw.
            if (reader.Read()) throw Invalid(path, "unexpected content after the header object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON: {e.Message}", e);
        }

        foreach (var t in tensors) CheckSizeAndBounds(t, dataLength, path);
        tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        CheckTiling(tensors, dataLength, path);
        return new SafetensorsHeader(tensors, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    private static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(path, $"\"{MetadataKey}\" is not an object of strings (found {reader.TokenType})");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Invalid(path, $"\"{MetadataKey}\" value of \"{key}\" is not a string (found {reader.TokenType})");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Invalid(path, $"duplicate key \"{key}\" in \"{MetadataKey}\"");
        }
        return metadata;
    }

    private static SafetensorsTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string path)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(path, $"tensor \"{name}\": entry is not an object (found {reader.TokenType})");
        SafetensorsDtype? dtype = null;
        long[]? shape = null, offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string field = reader.GetString()!;
            bool duplicate = field switch
            {
                "dtype" => dtype is not null,
                "shape" => shape is not null,
                "data_offsets" => offsets is not null,
                _ => throw Invalid(path, $"tensor \"{name}\": unknown field \"{field}\""),
            };
            if (duplicate) throw Invalid(path, $"tensor \"{name}\": duplicate field \"{field}\"");
            reader.Read();
            switch (field)
            {
                case "dtype":
                    if (reader.TokenType != JsonTokenType.String)
                        throw Invalid(path, $"tensor \"{name}\": dtype is not a string (found {reader.TokenType})");
                    string dtypeName = reader.GetString()!;
                    if (!SafetensorsDtypes.TryParse(dtypeName, out var parsed))
                        throw Invalid(path, $"tensor \"{name}\": unknown dtype \"{dtypeName}\"");
                    dtype = parsed;
                    break;
                case "shape":
                    shape = ReadIntegers(ref reader, name, "shape", path);
                    if (shape.Any(d => d < 0))
                        throw Invalid(path, $"tensor \"{name}\": shape {SafetensorsTensorInfo.FormatShape(shape)} has a negative dimension");
                    break;
                default:
                    offsets = ReadIntegers(ref reader, name, "data_offsets", path);
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                        throw Invalid(path, $"tensor \"{name}\": data_offsets {SafetensorsTensorInfo.FormatShape(offsets)} are not two ordered non-negative integers [begin, end]");
                    break;
            }
        }
        if (dtype is null) throw Invalid(path, $"tensor \"{name}\": missing field \"dtype\"");
        if (shape is null) throw Invalid(path, $"tensor \"{name}\": missing field \"shape\"");
        if (offsets is null) throw Invalid(path, $"tensor \"{name}\": missing field \"data_offsets\"");
        try
        {
            return new SafetensorsTensorInfo(name, dtype.Value, shape, offsets[0], offsets[1]);
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"tensor \"{name}\": shape {SafetensorsTensorInfo.FormatShape(shape)} has more elements than a 64-bit count holds");
        }
    }

    private static long[] ReadIntegers(ref Utf8JsonReader reader, string name, string field, string path)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Invalid(path, $"tensor \"{name}\": {field} is not an array of integers (found {reader.TokenType})");
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value))
            {
                string found = reader.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : reader.TokenType.ToString();
                throw Invalid(path, $"tensor \"{name}\": {field} holds {found}, which is not a 64-bit integer");
            }
            values.Add(value);
        }
        return [.. values];
    }

    private static void CheckSizeAndBounds(SafetensorsTensorInfo t, long dataLength, string path)
    {
        long expected;
        try { expected = checked(t.ElementCount * t.Dtype.ElementSize()); }
        catch (OverflowException)
        {
            throw Invalid(path, $"tensor \"{t.Name}\": {t.Dtype.HeaderName()} {t.ShapeText} is larger than a 64-bit byte count");
        }
        if (t.ByteLength != expected)
            throw Invalid(path, $"tensor \"{t.Name}\": data_offsets [{t.DataBegin}, {t.DataEnd}] span {t.ByteLength} bytes, " +
                $"but {t.Dtype.HeaderName()} {t.ShapeText} needs {expected}");
        if (t.DataEnd > dataLength)
            throw Invalid(path, $"tensor \"{t.Name}\": data_offsets [{t.DataBegin}, {t.DataEnd}] lie outside the data buffer " +
                $"of {dataLength} bytes (is the file truncated?)");
    }

    /// <summary>Checks that tensors sorted by offset cover <c>[0, dataLength)</c> exactly, one after another.</summary>
    private static void CheckTiling(List<SafetensorsTensorInfo> sorted, long dataLength, string path)
    {
        long covered = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.DataBegin < covered)
                throw Invalid(path, $"tensors \"{previous!.Name}\" [{previous.DataBegin}, {previous.DataEnd}] and " +
                    $"\"{t.Name}\" [{t.DataBegin}, {t.DataEnd}] overlap");
            if (t.DataBegin > covered)
                throw Invalid(path, $"bytes [{covered}, {t.DataBegin}) of the data buffer belong to no tensor " +
                    $"(a hole before \"{t.Name}\"); tensors must be contiguous");
            covered = t.DataEnd;
            previous = t;
        }
        if (covered != dataLength)
            throw Invalid(path, $"bytes [{covered}, {dataLength}) at the end of the data buffer belong to no tensor; " +
                "tensors must cover the buffer exactly");
    }
}
