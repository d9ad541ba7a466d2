using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DpBert.Tensors.MachineCode;

namespace DpBert.Tensors;

/// <summary>
/// Matrix multiply in bfloat16 with fp32 accumulation: activations rounded to bf16 per call, weights held as bf16
/// (<see cref="BFloat16Matrix"/>), <c>C = (accumulate ? C : 0) + bf16(A) bf16(W)^T + bias</c> (and GELU when asked).
/// </summary>
/// <remarks>
/// What runs where: this is the arithmetic of AVX512-BF16's <c>vdpbf16ps</c> (bf16 operands, exact products, fp32
/// sums). .NET 10 has no intrinsic for that instruction (no <c>Avx512Bf16</c> class; checked by reflection over
/// <c>System.Runtime.Intrinsics.X86</c>), so where the processor has it (Linux x64) the 6 x 32 tiles run it from
/// machine code written at run time (<see cref="DotProductTileKernel.BFloat16"/>, the activations rounded into bf16
/// rows; like the instruction it treats subnormal inputs and results as zero and rounds to nearest whatever MXCSR says,
/// where the managed kernels underflow gradually, a difference below 2^-126 per product); elsewhere the kernels widen the bf16 weights to fp32 with a shift or a mask and multiply with AVX-512F FMAs
/// (AVX2 FMAs without AVX-512, plain loops without either), where what bf16 saves is memory: weights take half the
/// bytes of fp32, which pays where a GEMM streams its weights more than it computes (few rows).
/// </remarks>
internal static unsafe class BFloat16Gemm
{
    private const long ParallelMacThreshold = 1L << 21;

    /// <summary>
    /// <c>C[m, n]</c> from <paramref name="a"/> (<paramref name="m"/> x k, row stride <paramref name="lda"/>) and
    /// <paramref name="w"/>, as described on the class.
    /// </summary>
    public static void Multiply(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, BFloat16Matrix w, int m,
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool gelu = false) =>
        Multiply(Simd.Best, c, ldc, a, lda, w, m, accumulate, bias, gelu, DotProductTileKernel.BFloat16.RunsAt(Simd.Best));

    /// <summary>
    /// The same at a chosen width; <paramref name="w"/> must be packed for it. <paramref name="dot"/> runs the 512-bit
    /// tiles on <c>vdpbf16ps</c> (<see cref="DotProductTileKernel.BFloat16"/>, which must be available).
    /// </summary>
    internal static void Multiply(SimdWidth width, Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, BFloat16Matrix w, int m,
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool gelu = false, bool dot = false)
    {
        DotProductTileKernel.BFloat16.CheckRequest(dot, width, nameof(dot));
        ArgumentNullException.ThrowIfNull(w);
        int n = w.N, k = w.K;
        Gemm.CheckShapes(c, ldc, a, lda, transA: false, m, n, k, bias);
        Gemm.CheckPacking(w.SliverWidth, Gemm.SliverWidthFor(width), width);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a) fixed (float* pc = c) fixed (float* pbias = bias)
        {
            var job = Job.Instance ??= new Job();
            job.Set(width, dot, pc, ldc, pa, lda, w, m, accumulate, pbias, gelu);
            job.Run();
        }
    }

    /// <summary>One bf16 GEMM: phase 1 rounds blocks of A's rows into scratch, phase 2 runs (row chunk, sliver) tiles.</summary>
    private sealed class Job : ParallelWork
    {
        private const int RowsPerRoundTask = 32;
        [ThreadStatic] public static Job? Instance;
        [ThreadStatic] private static float[]? _scratch;

        private SimdWidth _width;
        private float* _c, _a, _bias, _rounded;
        private nint _ldc, _lda, _stride;
        private BFloat16Matrix _w = null!;
        private int _m, _slivers;
        private TileSchedule _schedule;
        private bool _accumulate, _gelu, _roundPhase, _dot;

        public void Set(SimdWidth width, bool dot, float* c, int ldc, float* a, int lda, BFloat16Matrix w, int m, bool accumulate, float* bias, bool gelu)
        {
            _c = c; _a = a; _bias = bias; _dot = dot;
            (_width, _ldc, _lda, _w, _m, _accumulate, _gelu) = (width, ldc, lda, w, m, accumulate, gelu);
            _slivers = w.SliverCount;
            _stride = w.PaddedK;
            long length = (long)m * _stride + 16;
            if (_scratch is null || _scratch.Length < length) _scratch = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(length, 1 << 14)), pinned: true);
            float* p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scratch));
            _rounded = (float*)(((nint)p + 63) & ~(nint)63);
        }

        public void Run()
        {
            long macs = (long)_m * _w.N * _w.K;
            bool parallel = macs >= ParallelMacThreshold && ComputePool.Parallelism > 1 && !ComputePool.IsInsideParallelWork;
            _roundPhase = true;
            int tasks = (_m + RowsPerRoundTask - 1) / RowsPerRoundTask;
            ComputePool.Run(this, tasks, parallel);
            _roundPhase = false;
            _schedule = new TileSchedule(_m, _slivers, parallel);
            ComputePool.Run(this, _schedule.Tasks, parallel);
        }

        public override void Execute(int index)
        {
            if (_roundPhase)
            {
                int first = index * RowsPerRoundTask, end = Math.Min(_m, first + RowsPerRoundTask);
                if (_dot) for (int r = first; r < end; r++) RoundRowToBits((ushort*)_rounded + r * _stride, _a + r * _lda, _w.K, (int)_stride);
                else for (int r = first; r < end; r++) RoundRow(_rounded + r * _stride, _a + r * _lda, _w.K, (int)_stride);
                return;
            }
            var (s, firstPanel, endPanel) = _schedule.Task(index);
            int width = _w.SliverWidth, pairs = (int)(_stride / 2);
            int j0 = s * width, cols = Math.Min(width, _w.N - j0);
            ushort* sliver = _w.Pointer + (long)s * width * _stride;
            float* bias = _bias == null ? null : _bias + j0;
            float* tile = stackalloc float[BFloat16GemmKernels.Rows * 32];
            for (int q = firstPanel; q < endPanel; q++)
            {
                int i = q * BFloat16GemmKernels.Rows;
                int rows = Math.Min(BFloat16GemmKernels.Rows, _m - i);
                float* a = _rounded + i * _stride;
                float* c = _c + i * _ldc + j0;
                switch (_width)
                {
                    case SimdWidth.V512 when _dot:
                        BFloat16GemmKernels.Tile512Dot((ushort*)_rounded + i * _stride, _stride, sliver, pairs, c, _ldc, rows, cols, _accumulate, bias, _gelu, tile);
                        break;
                    case SimdWidth.V512:
                        BFloat16GemmKernels.Tile512(a, _stride, sliver, pairs, c, _ldc, rows, cols, _accumulate, bias, _gelu, tile);
                        break;
                    case SimdWidth.V256:
                        BFloat16GemmKernels.Tile256(a, _stride, sliver, pairs, c, _ldc, rows, cols, _accumulate, bias, _gelu, tile);
                        break;
                    default:
                        BFloat16GemmKernels.TileScalar(a, _stride, sliver, width, pairs, c, _ldc, rows, cols, _accumulate, bias, _gelu, tile);
                        break;
                }
            }
        }

        /// <summary>One row of A rounded to bf16 bits (for <c>vdpbf16ps</c>), padded with a zero to the even stride.</summary>
        private static void RoundRowToBits(ushort* dst, float* src, int k, int stride)
        {
            int i = 0;
            for (; i <= k - 32; i += 32)
            {
                var low = BFloat16.RoundToSingle(Vector512.Load(src + i)).AsUInt32() >> 16;
                var high = BFloat16.RoundToSingle(Vector512.Load(src + i + 16)).AsUInt32() >> 16;
                Vector512.Narrow(low, high).Store(dst + i);
            }
            for (; i < k; i++) dst[i] = BFloat16.Round(src[i]);
            for (; i < stride; i++) dst[i] = 0;
        }

        /// <summary>One row of A rounded to bf16 (as floats), padded with a zero to the even stride.</summary>
        private void RoundRow(float* dst, float* src, int k, int stride)
        {
            int i = 0;
            if (_width == SimdWidth.V512)
                for (; i <= k - 16; i += 16) BFloat16.RoundToSingle(Vector512.Load(src + i)).Store(dst + i);
            else if (_width == SimdWidth.V256)
                for (; i <= k - 8; i += 8) BFloat16.RoundToSingle(Vector256.Load(src + i)).Store(dst + i);
            for (; i < k; i++) dst[i] = BFloat16.RoundToSingle(src[i]);
            for (; i < stride; i++) dst[i] = 0;
        }
    }
}
