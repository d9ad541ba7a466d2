namespace DpBert.Checkpoints;

/// <summary>Element types a safetensors header can name (the <c>dtype</c> field).</summary>
public enum SafetensorsDtype
{
    /// <summary><c>BOOL</c>: one byte, 0 or 1.</summary>
    Bool,
    /// <summary><c>U8</c>: unsigned 8-bit integer.</summary>
    U8,
    /// <summary><c>I8</c>: signed 8-bit integer.</summary>
    I8,
    /// <summary><c>F8_E4M3</c>: 8-bit float, 4 exponent and 3 mantissa bits (readable as raw bytes only).</summary>
    F8E4M3,
    /// <summary><c>F8_E5M2</c>: 8-bit float, 5 exponent and 2 mantissa bits (readable as raw bytes only).</summary>
    F8E5M2,
    /// <summary><c>I16</c>: signed 16-bit integer.</summary>
    I16,
    /// <summary><c>U16</c>: unsigned 16-bit integer.</summary>
    U16,
    /// <summary><c>F16</c>: IEEE half precision.</summary>
    F16,
    /// <summary><c>BF16</c>: bfloat16, the upper half of a float32.</summary>
    BF16,
    /// <summary><c>I32</c>: signed 32-bit integer.</summary>
    I32,
    /// <summary><c>U32</c>: unsigned 32-bit integer.</summary>
    U32,
    /// <summary><c>F32</c>: IEEE single precision.</summary>
    F32,
    /// <summary><c>I64</c>: signed 64-bit integer.</summary>
    I64,
    /// <summary><c>U64</c>: unsigned 64-bit integer.</summary>
    U64,
    /// <summary><c>F64</c>: IEEE double precision.</summary>
    F64,
}

/// <summary>Header names, element sizes and float conversion support of <see cref="SafetensorsDtype"/>.</summary>
public static class SafetensorsDtypes
{
    /// <summary>The name the header uses, e.g. <c>F32</c>, <c>BF16</c>, <c>F8_E4M3</c>.</summary>
    public static string HeaderName(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.Bool => "BOOL",
        SafetensorsDtype.F8E4M3 => "F8_E4M3",
        SafetensorsDtype.F8E5M2 => "F8_E5M2",
        _ => dtype.ToString(),
    };

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.Bool or SafetensorsDtype.U8 or SafetensorsDtype.I8
            or SafetensorsDtype.F8E4M3 or SafetensorsDtype.F8E5M2 => 1,
        SafetensorsDtype.I16 or SafetensorsDtype.U16 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.I32 or SafetensorsDtype.U32 or SafetensorsDtype.F32 => 4,
        SafetensorsDtype.I64 or SafetensorsDtype.U64 or SafetensorsDtype.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>True for the floating-point types <see cref="SafetensorsFile.CopyToFloat32"/> converts: F32, F16, BF16, F64.</summary>
    public static bool ConvertsToFloat32(this SafetensorsDtype dtype) =>
        dtype is SafetensorsDtype.F32 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.F64;

    /// <summary>Parses a header name (case-sensitive, as the format writes it).</summary>
    /// <returns>False when the name is not a dtype this reader knows.</returns>
    public static bool TryParse(string headerName, out SafetensorsDtype dtype)
    {
        SafetensorsDtype? parsed = headerName switch
        {
            "BOOL" => SafetensorsDtype.Bool,
            "U8" => SafetensorsDtype.U8,
            "I8" => SafetensorsDtype.I8,
            "F8_E4M3" => SafetensorsDtype.F8E4M3,
            "F8_E5M2" => SafetensorsDtype.F8E5M2,
            "I16" => SafetensorsDtype.I16,
            "U16" => SafetensorsDtype.U16,
            "F16" => SafetensorsDtype.F16,
            "BF16" => SafetensorsDtype.BF16,
            "I32" => SafetensorsDtype.I32,
            "U32" => SafetensorsDtype.U32,
            "F32" => SafetensorsDtype.F32,
            "I64" => SafetensorsDtype.I64,
            "U64" => SafetensorsDtype.U64,
            "F64" => SafetensorsDtype.F64,
            _ => null,
        };
        dtype = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }
}
