using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DpBert.Tensors;

/// <summary>
/// A pinned array whose usable part starts on a 64-byte boundary (a cache line, one AVX-512 vector): the storage of
/// the packed operands the SIMD kernels stream through raw pointers. Pinned, so the pointer holds for its lifetime.
/// </summary>
internal sealed unsafe class AlignedArray<T> where T : unmanaged
{
    private const int Alignment = 64;
    private readonly T[] _storage;
    private readonly int _offset;

    /// <summary>Allocates <paramref name="length"/> elements (uninitialised) after the alignment slack.</summary>
    public AlignedArray(long length)
    {
        Length = length;
        _storage = GC.AllocateUninitializedArray<T>(checked((int)(length + Alignment / sizeof(T))), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
        _offset = (int)(((Alignment - (address & (Alignment - 1))) & (Alignment - 1)) / sizeof(T));
    }

    /// <summary>Usable elements from <see cref="Pointer"/>.</summary>
    public long Length { get; }

    /// <summary>The first usable element, 64-byte aligned.</summary>
    public T* Pointer => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage)) + _offset;
}

/// <summary>Growable scratch on <see cref="AlignedArray{T}"/>.</summary>
internal static unsafe class AlignedArray
{
    /// <summary>
    /// The first element of <paramref name="buffer"/>, after replacing it with one of at least
    /// max(<paramref name="length"/>, <paramref name="minimum"/>) elements when it is missing or shorter than
    /// <paramref name="length"/>. The contents are not kept.
    /// </summary>
    public static T* Grow<T>(ref AlignedArray<T>? buffer, long length, long minimum) where T : unmanaged
    {
        if (buffer is null || buffer.Length < length) buffer = new AlignedArray<T>(Math.Max(length, minimum));
        return buffer.Pointer;
    }
}
