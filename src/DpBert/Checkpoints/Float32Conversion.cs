using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DpBert.Checkpoints;

/// <summary>Widening of little-endian F32, F16, BF16 and F64 tensor bytes to float32, shared by every checkpoint format.</summary>
internal static class Float32Conversion
{
    /// <summary>
    /// Converts <paramref name="bytes"/> (little-endian elements of <paramref name="dtype"/>) into
    /// <paramref name="destination"/>; the caller has checked that the lengths agree.
    /// </summary>
    /// <returns>False when <paramref name="dtype"/> is not a floating-point type.</returns>
    public static bool TryConvert(SafetensorsDtype dtype, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        switch (dtype)
        {
            case SafetensorsDtype.F32 when BitConverter.IsLittleEndian:
                bytes.CopyTo(MemoryMarshal.AsBytes(destination));
                return true;
            case SafetensorsDtype.F32:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                return true;
            case SafetensorsDtype.F16:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                return true;
            case SafetensorsDtype.BF16:
                // bfloat16 is the upper 16 bits of a float32, so widening is exact (NaN payloads included).
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                return true;
            case SafetensorsDtype.F64:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                return true;
            default:
                return false;
        }
    }
}
