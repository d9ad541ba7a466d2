using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DpBert.Tensors;

/// <summary>
/// The end of every GEMM micro-kernel (fp32, int8, bf16): a finished row of a tile gets the bias, then the activation,
/// and is added to C or written over it. One place, so the three precisions finish a tile identically.
/// <para>GELU on a full tile that overwrites C runs after the whole tile is stored (<see cref="GeluStored512"/>), reading
/// it back from L1: applied to the accumulators in registers it made the JIT spill them, and a pass of its own over C
/// after the GEMM reads C again from L2 or memory. Only a tile added to C (accumulate) takes GELU in registers, before
/// the addition.</para>
/// </summary>
internal static unsafe class TileStore
{
    /// <summary>32 columns of one row (two 512-bit vectors); GELU here only when accumulating (else <see cref="GeluStored512"/> after the tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row512(float* c, bool accumulate, float* bias, bool gelu, Vector512<float> v0, Vector512<float> v1)
    {
        if (bias != null) { v0 += Vector512.Load(bias); v1 += Vector512.Load(bias + 16); }
        if (gelu && accumulate) { v0 = v0.Apply512(); v1 = v1.Apply512(); }
        if (accumulate) { v0 += Vector512.Load(c); v1 += Vector512.Load(c + 16); }
        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>16 columns of one row (two 256-bit vectors); GELU here only when accumulating (else <see cref="GeluStored256"/> after the tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row256(float* c, bool accumulate, float* bias, bool gelu, Vector256<float> v0, Vector256<float> v1)
    {
        if (bias != null) { v0 += Vector256.Load(bias); v1 += Vector256.Load(bias + 8); }
        if (gelu && accumulate) { v0 = v0.Apply256(); v1 = v1.Apply256(); }
        if (accumulate) { v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); }
        v0.Store(c);
        v1.Store(c + 8);
    }

    /// <summary>GELU over a full tile of <paramref name="rows"/> x 32 floats just stored in C, when it overwrote C (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void GeluStored512(float* c, nint ldc, int rows, bool accumulate, bool gelu)
    {
        if (!gelu || accumulate) return;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            Vector512.Load(c).Apply512().Store(c);
            Vector512.Load(c + 16).Apply512().Store(c + 16);
        }
    }

    /// <summary>GELU over a full tile of <paramref name="rows"/> x 16 floats just stored in C, when it overwrote C.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void GeluStored256(float* c, nint ldc, int rows, bool accumulate, bool gelu)
    {
        if (!gelu || accumulate) return;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            Vector256.Load(c).Apply256().Store(c);
            Vector256.Load(c + 8).Apply256().Store(c + 8);
        }
    }

    /// <summary>
    /// A partial tile, staged in <paramref name="tile"/> (rows of <paramref name="width"/> floats): the valid part only.
    /// GELU runs over each whole staged row in the arithmetic of <paramref name="geluWidth"/>, the width the kernel's full
    /// tiles use, so a token's activations do not depend on whether its row fell in a full tile or at the edge (that is,
    /// on the batch it came in).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Edge(float* tile, int width, float* c, nint ldc, int rows, int cols, bool accumulate, float* bias, bool gelu, SimdWidth geluWidth)
    {
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + r * ldc;
            float* tr = tile + r * width;
            if (bias != null)
                for (int j = 0; j < cols; j++) tr[j] += bias[j];
            if (gelu)
            {
                var row = new Span<float>(tr, width);
                Gelu.Forward(geluWidth, row, row);
            }
            for (int j = 0; j < cols; j++) cr[j] = accumulate ? cr[j] + tr[j] : tr[j];
        }
    }
}
