using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using DpBert.Tensors.MachineCode;

namespace DpBert.Tensors;

/// <summary>
/// Dynamically quantised matrix multiply, as ONNX Runtime's and PyTorch's dynamic quantisation do it for Linear layers:
/// weights int8 per output channel (quantised once, <see cref="QuantizedMatrix"/>), activations quantised per row at
/// run time (<see cref="QuantizedRows"/>), products accumulated in int32, the result dequantised to fp32 with the bias
/// (and GELU, when asked) added per tile: <c>C = (accumulate ? C : 0) + deq(quant(A) Q^T) + bias</c>.
/// </summary>
/// <remarks>
/// What runs where: AVX512-VNNI, 6 x 32 tiles of <c>vpdpbusd</c> (<see cref="DotProductTileKernel.Int8"/>, Linux x64); AVX-512BW,
/// the same tiles with <c>vpmaddubsw</c>, <c>vpmaddwd</c>, <c>vpaddd</c> on zmm; AVX2, 6 x 16 tiles (the same on ymm);
/// anything else, a scalar tile. All four give the same integer sums; see <see cref="QuantizedGemmKernels"/>.
/// </remarks>
internal static unsafe class QuantizedGemm
{
    private const long ParallelMacThreshold = 1L << 21;

    /// <summary>The int8 width this processor runs: 512 with AVX-512BW, 256 with AVX2, else scalar.</summary>
    public static SimdWidth BestWidth { get; } = Simd.Best >= SimdWidth.V512 && Avx512BW.IsSupported ? SimdWidth.V512
        : Simd.Best >= SimdWidth.V256 && Avx2.IsSupported ? SimdWidth.V256 : SimdWidth.Scalar;

    /// <summary>Channels per packed sliver for the kernels of <paramref name="width"/>.</summary>
    public static int SliverWidthFor(SimdWidth width) => width >= SimdWidth.V512 && Avx512BW.IsSupported ? 32 : 16;

    /// <summary>
    /// Quantises the rows of <paramref name="a"/> (<paramref name="m"/> x k, row stride <paramref name="lda"/>) and
    /// multiplies them by <paramref name="w"/>: <c>C[m, n]</c> as described on the class.
    /// </summary>
    public static void Multiply(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, QuantizedMatrix w, int m,
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool gelu = false) =>
        Multiply(BestWidth, c, ldc, a, lda, w, m, accumulate, bias, gelu, DotProductTileKernel.Int8.RunsAt(BestWidth));

    /// <summary>
    /// The same at a chosen width (tests compare the widths); <paramref name="w"/> must be packed for that width.
    /// <paramref name="vnni"/> runs the 512-bit tiles on <see cref="DotProductTileKernel.Int8"/> (which must be available).
    /// </summary>
    internal static void Multiply(SimdWidth width, Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, QuantizedMatrix w, int m,
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool gelu = false, bool vnni = false)
    {
        ArgumentNullException.ThrowIfNull(w);
        int n = w.N, k = w.K;
        Gemm.CheckShapes(c, ldc, a, lda, transA: false, m, n, k, bias);
        Gemm.CheckPacking(w.SliverWidth, SliverWidthFor(width), width);
        DotProductTileKernel.Int8.CheckRequest(vnni, width, nameof(vnni));
        if (m == 0 || n == 0) return;
        var rows = Scratch.Rows ??= new QuantizedRows();
        rows.Resize(m, k);
        fixed (float* pa = a) fixed (float* pc = c) fixed (float* pbias = bias)
        {
            var job = Job.Instance ??= new Job();
            job.Set(width, vnni, pc, ldc, pa, lda, rows, w, m, accumulate, pbias, gelu);
            job.Run();
        }
    }

    /// <summary>Multiplies rows quantised already (the reference tests feed their own).</summary>
    internal static void Multiply(SimdWidth width, Span<float> c, int ldc, QuantizedRows rows, QuantizedMatrix w,
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool gelu = false, bool vnni = false)
    {
        DotProductTileKernel.Int8.CheckRequest(vnni, width, nameof(vnni));
        if (rows.Stride != w.PaddedK)
            throw new ArgumentException($"the quantised rows hold {rows.Stride} bytes per row, the weights {w.PaddedK} (k = {w.K} padded)", nameof(rows));
        if (rows.Rows == 0 || w.N == 0) return;
        if (c.Length < (long)(rows.Rows - 1) * ldc + w.N) throw new ArgumentException("c is too short", nameof(c));
        fixed (float* pc = c) fixed (float* pbias = bias)
        {
            var job = Job.Instance ??= new Job();
            job.Set(width, vnni, pc, ldc, null, 0, rows, w, rows.Rows, accumulate, pbias, gelu);
            job.Run();
        }
    }

    private static class Scratch
    {
        [ThreadStatic] public static QuantizedRows? Rows;
    }

    /// <summary>One quantised GEMM: phase 1 quantises blocks of rows, phase 2 runs (row chunk, sliver) tiles.</summary>
    private sealed class Job : ParallelWork
    {
        private const int RowsPerQuantizeTask = 32;
        [ThreadStatic] public static Job? Instance;

        private SimdWidth _width;
        private float* _c, _a, _bias;
        private nint _ldc, _lda;
        private QuantizedRows _rows = null!;
        private QuantizedMatrix _w = null!;
        private int _m, _slivers;
        private TileSchedule _schedule;
        private bool _accumulate, _gelu, _quantizePhase, _vnni;

        public void Set(SimdWidth width, bool vnni, float* c, int ldc, float* a, int lda, QuantizedRows rows, QuantizedMatrix w, int m,
            bool accumulate, float* bias, bool gelu)
        {
            _c = c; _a = a; _bias = bias; _vnni = vnni;
            (_width, _ldc, _lda, _rows, _w, _m, _accumulate, _gelu) = (width, ldc, lda, rows, w, m, accumulate, gelu);
            _slivers = w.SliverCount;
        }

        public void Run()
        {
            long macs = (long)_m * _w.N * _w.K;
            bool parallel = macs >= ParallelMacThreshold && ComputePool.Parallelism > 1 && !ComputePool.IsInsideParallelWork;
            if (_a != null)
            {
                _quantizePhase = true;
                int tasks = (_m + RowsPerQuantizeTask - 1) / RowsPerQuantizeTask;
                ComputePool.Run(this, tasks, parallel);
                _quantizePhase = false;
            }
            _schedule = new TileSchedule(_m, _slivers, parallel);
            ComputePool.Run(this, _schedule.Tasks, parallel);
        }

        public override void Execute(int index)
        {
            if (_quantizePhase)
            {
                int first = index * RowsPerQuantizeTask, end = Math.Min(_m, first + RowsPerQuantizeTask);
                int k = _w.K;
                for (int r = first; r < end; r++) _rows.QuantizeRow(_width, r, _a + r * _lda, k);
                return;
            }
            var (s, firstPanel, endPanel) = _schedule.Task(index);
            int width = _w.SliverWidth, kp = _w.PaddedK, quads = kp / 4;
            int j0 = s * width, cols = Math.Min(width, _w.N - j0);
            sbyte* sliver = _w.Pointer + (long)s * width * kp;
            float* bias = _bias == null ? null : _bias + j0;
            float* tile = stackalloc float[QuantizedGemmKernels.Rows * 32];
            fixed (float* rowScale = _rows.Scales) fixed (int* rowZero = _rows.ZeroPoints)
            fixed (float* colScale = _w.Scales) fixed (int* colSum = _w.ColumnSums)
            {
                for (int q = firstPanel; q < endPanel; q++)
                {
                    int i = q * QuantizedGemmKernels.Rows;
                    int rows = Math.Min(QuantizedGemmKernels.Rows, _m - i);
                    byte* a = _rows.Pointer + (long)i * _rows.Stride;
                    float* c = _c + i * _ldc + j0;
                    var d = new QuantizedGemmKernels.Dequant(rowScale + i, rowZero + i, colScale + j0, colSum + j0);
                    switch (_width)
                    {
                        case SimdWidth.V512 when _vnni:
                            QuantizedGemmKernels.Tile512Vnni(a, _rows.Stride, sliver, quads, c, _ldc, rows, cols, d, _accumulate, bias, _gelu, tile);
                            break;
                        case SimdWidth.V512:
                            QuantizedGemmKernels.Tile512(a, _rows.Stride, sliver, quads, c, _ldc, rows, cols, d, _accumulate, bias, _gelu, tile);
                            break;
                        case SimdWidth.V256:
                            QuantizedGemmKernels.Tile256(a, _rows.Stride, sliver, quads, c, _ldc, rows, cols, d, _accumulate, bias, _gelu, tile);
                            break;
                        default:
                            QuantizedGemmKernels.TileScalar(a, _rows.Stride, sliver, width, quads, c, _ldc, rows, cols, d, _accumulate, bias, _gelu, tile);
                            break;
                    }
                }
            }
        }
    }
}
