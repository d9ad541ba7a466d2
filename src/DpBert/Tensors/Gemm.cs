namespace DpBert.Tensors;

/// <summary>Which implementation <see cref="Gemm"/> uses.</summary>
public enum GemmBackend
{
    /// <summary>The managed, register-blocked SIMD kernels (always available).</summary>
    Managed,
    /// <summary><c>cblas_sgemm</c> from <c>libopenblas.so.0</c>, when it loads.</summary>
    OpenBlas,
    /// <summary>The scalar triple loop of <see cref="GemmReference"/> (slow; for checking the others).</summary>
    Reference,
}

/// <summary>
/// Single-precision matrix multiply, <c>C = (accumulate ? C : 0) + op(A) op(B) + bias</c>, with every
/// transpose combination BERT's forward and backward passes need. Matrices are row-major with explicit
/// leading dimensions, so a head's slice of a <c>(tokens, hidden)</c> buffer is a valid operand.
/// </summary>
/// <remarks>
/// The managed path packs op(B) into column slivers (or takes a <see cref="PackedMatrix"/> packed once),
/// reads A in place, and splits slivers and row blocks over the <see cref="ComputePool"/> when the product is
/// large enough to pay for the hand-off. <c>DPBERT_BLAS=managed|openblas</c> chooses the default backend
/// (managed unless set); <see cref="Backend"/> can be changed at run time.
/// </remarks>
public static unsafe class Gemm
{
    private const long ParallelFlopThreshold = 1L << 22;

    /// <summary>The backend used by <see cref="Multiply"/>. Setting <see cref="GemmBackend.OpenBlas"/> requires <see cref="OpenBlas.IsAvailable"/>.</summary>
    public static GemmBackend Backend
    {
        get => _backend;
        set
        {
            if (value == GemmBackend.OpenBlas && !OpenBlas.IsAvailable)
                throw new InvalidOperationException($"OpenBLAS is not available: {OpenBlas.LoadError}");
            _backend = value;
            ComputePool.SpinWhenIdle = value != GemmBackend.OpenBlas;
        }
    }
    private static GemmBackend _backend = InitialBackend();

    private static GemmBackend InitialBackend()
    {
        var backend = DefaultBackend();
        ComputePool.SpinWhenIdle = backend != GemmBackend.OpenBlas;
        return backend;
    }

    private static GemmBackend DefaultBackend()
    {
        string? wanted = Environment.GetEnvironmentVariable("DPBERT_BLAS")?.Trim().ToLowerInvariant();
        return wanted switch
        {
            null or "" or "managed" => GemmBackend.Managed,
            "reference" => GemmBackend.Reference,
            "openblas" => OpenBlas.IsAvailable ? GemmBackend.OpenBlas
                : throw new InvalidOperationException($"DPBERT_BLAS=openblas but OpenBLAS is not available: {OpenBlas.LoadError}"),
            _ => throw new InvalidOperationException($"DPBERT_BLAS=\"{wanted}\" is not one of managed, openblas, reference"),
        };
    }

    /// <summary>
    /// <c>C[m, n] = (accumulate ? C : 0) + op(A)[m, k] op(B)[k, n] + bias[n]</c>.
    /// </summary>
    /// <param name="c">Output, row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C (at least n).</param>
    /// <param name="a">A as stored: <c>(m, k)</c>, or <c>(k, m)</c> when <paramref name="transA"/>.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="transA">Use A transposed.</param>
    /// <param name="b">B as stored: <c>(k, n)</c>, or <c>(n, k)</c> when <paramref name="transB"/> (a Linear weight).</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="transB">Use B transposed.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The reduction length.</param>
    /// <param name="accumulate">Add to C instead of overwriting it (backward passes accumulate gradients).</param>
    /// <param name="bias">Optional length-n vector added to every row.</param>
    public static void Multiply(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB, int m, int n, int k,
        bool accumulate = false, ReadOnlySpan<float> bias = default)
    {
        CheckShapes(c, ldc, a, lda, transA, m, n, k, bias);
        CheckOperand(b, ldb, transB, k, n, "b");
        if (m == 0 || n == 0) return;
        fixed (float* pc = c) fixed (float* pa = a) fixed (float* pb = b) fixed (float* pbias = bias)
        {
            if (k == 0) { FillEmptyProduct(pc, ldc, m, n, accumulate, pbias); return; }
            // Inside a parallel task (per-head attention) OpenBLAS would start threads of its own on top of
            // ours; the small products there run on the managed kernels instead.
            if (_backend == GemmBackend.OpenBlas && !ComputePool.IsInsideParallelWork)
            {
                OpenBlas.Multiply(pc, ldc, pa, lda, transA, pb, ldb, transB, m, n, k, accumulate, pbias);
                return;
            }
            if (_backend == GemmBackend.Reference)
            {
                GemmReference.Multiply(c, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate, bias);
                return;
            }
            MultiplyManaged(Simd.Best, pc, ldc, pa, lda, transA, pb, ldb, transB, m, n, k, accumulate, pbias);
        }
    }

    /// <summary>The managed path at a chosen vector width (tests compare every width with the reference).</summary>
    internal static void MultiplyManaged(SimdWidth width, Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB, int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default)
    {
        CheckShapes(c, ldc, a, lda, transA, m, n, k, bias);
        CheckOperand(b, ldb, transB, k, n, "b");
        if (m == 0 || n == 0) return;
        fixed (float* pc = c) fixed (float* pa = a) fixed (float* pb = b) fixed (float* pbias = bias)
        {
            if (k == 0) { FillEmptyProduct(pc, ldc, m, n, accumulate, pbias); return; }
            MultiplyManaged(width, pc, ldc, pa, lda, transA, pb, ldb, transB, m, n, k, accumulate, pbias);
        }
    }

    private static void MultiplyManaged(SimdWidth width, float* pc, int ldc, float* pa, int lda, bool transA,
        float* pb, int ldb, bool transB, int m, int n, int k, bool accumulate, float* pbias)
    {
        {
            int sliver = SliverWidthFor(width);
            int slivers = (n + sliver - 1) / sliver;
            long packedLength = (long)slivers * sliver * k;
            float* packed = PackScratch.Get(packedLength);
            var job = GemmJob.Rent();
            job.Set(pc, ldc, pa, lda, transA, pb, ldb, transB, packed, sliver, m, n, k, accumulate, pbias, width, gelu: false);
            job.Run(packB: true);
        }
    }

    /// <summary>
    /// <c>C[m, n] = (accumulate ? C : 0) + A[m, k] B + bias</c> with B packed in advance (the fast path
    /// for model weights). A is not transposed here; use <paramref name="lda"/> for strided rows.
    /// </summary>
    public static void MultiplyPacked(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, PackedMatrix b, int m,
        bool accumulate = false, ReadOnlySpan<float> bias = default) => MultiplyPacked(c, ldc, a, lda, b, m, accumulate, bias, gelu: false);

    /// <summary><see cref="MultiplyPacked(Span{float}, int, ReadOnlySpan{float}, int, PackedMatrix, int, bool, ReadOnlySpan{float})"/>, with exact GELU applied to each finished tile (after the bias) when <paramref name="gelu"/>.</summary>
    internal static void MultiplyPacked(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, PackedMatrix b, int m,
        bool accumulate, ReadOnlySpan<float> bias, bool gelu)
    {
        ArgumentNullException.ThrowIfNull(b);
        int n = b.N, k = b.K;
        CheckShapes(c, ldc, a, lda, transA: false, m, n, k, bias);
        if (b.SliverWidth != SliverWidthFor(Simd.Best))
            throw new ArgumentException($"the packed matrix has slivers of {b.SliverWidth} columns; this processor's kernels take {SliverWidthFor(Simd.Best)}", nameof(b));
        if (m == 0 || n == 0) return;
        fixed (float* pc = c) fixed (float* pa = a) fixed (float* pbias = bias)
        {
            if (k == 0) { FillEmptyProduct(pc, ldc, m, n, accumulate, pbias); return; }
            var job = GemmJob.Rent();
            job.Set(pc, ldc, pa, lda, false, null, 0, false, b.Pointer, b.SliverWidth, m, n, k, accumulate, pbias, Simd.Best, gelu);
            job.Run(packB: false);
        }
    }

    /// <summary>Columns per packed sliver for the kernels of <paramref name="width"/>.</summary>
    internal static int SliverWidthFor(SimdWidth width) => width switch
    {
        SimdWidth.V512 => 32,
        SimdWidth.V256 => 16,
        _ => 16,
    };

    private static void FillEmptyProduct(float* c, int ldc, int m, int n, bool accumulate, float* bias)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float v = bias != null ? bias[j] : 0f;
                c[(nint)i * ldc + j] = accumulate ? c[(nint)i * ldc + j] + v : v;
            }
        }
    }

    /// <summary>Checks the operands of <c>C (m, n) = op(A) (m, k) ... + bias</c>: sizes, strides and the bias length.</summary>
    internal static void CheckShapes(ReadOnlySpan<float> c, int ldc, ReadOnlySpan<float> a, int lda, bool transA,
        int m, int n, int k, ReadOnlySpan<float> bias)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"GEMM dimensions must not be negative (m={m}, n={n}, k={k})");
        if (ldc < n) throw new ArgumentOutOfRangeException(nameof(ldc), $"ldc {ldc} is smaller than n {n}");
        if (m > 0 && n > 0 && c.Length < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"c holds {c.Length} floats; a ({m}, {n}) matrix with row stride {ldc} needs {(long)(m - 1) * ldc + n}", nameof(c));
        CheckOperand(a, lda, transA, m, k, "a");
        if (!bias.IsEmpty && bias.Length < n) throw new ArgumentException($"bias holds {bias.Length} floats; n is {n}", nameof(bias));
    }

    /// <summary>Checks that a weight packed in slivers of <paramref name="sliverWidth"/> suits the kernels of <paramref name="width"/>, which take <paramref name="expected"/>.</summary>
    internal static void CheckPacking(int sliverWidth, int expected, SimdWidth width)
    {
        if (sliverWidth != expected)
            throw new ArgumentException($"the matrix is packed in slivers of {sliverWidth}; the {width} kernels take {expected}", "w");
    }

    /// <summary>Checks that <paramref name="x"/> holds op(X) of shape (rows, cols) with stride <paramref name="ld"/>.</summary>
    internal static void CheckOperand(ReadOnlySpan<float> x, int ld, bool trans, int rows, int cols, string name)
    {
        int storedRows = trans ? cols : rows, storedCols = trans ? rows : cols;
        if (ld < storedCols) throw new ArgumentOutOfRangeException(name, $"{name}: leading dimension {ld} is smaller than its stored width {storedCols}");
        if (storedRows > 0 && storedCols > 0 && x.Length < (long)(storedRows - 1) * ld + storedCols)
            throw new ArgumentException($"{name} holds {x.Length} floats; a stored ({storedRows}, {storedCols}) matrix with row stride {ld} needs {(long)(storedRows - 1) * ld + storedCols}", name);
    }

    /// <summary>Per-thread, pinned, 64-byte-aligned scratch for packing op(B).</summary>
    private static class PackScratch
    {
        [ThreadStatic] private static AlignedArray<float>? _buffer;

        public static float* Get(long length) => AlignedArray.Grow(ref _buffer, length + 16, 1 << 16);
    }

    /// <summary>One GEMM's state, shared by the threads that split it. One instance per calling thread.</summary>
    internal sealed class GemmJob : ParallelWork
    {
        // A transposed (the weight gradient dY^T X) is copied into row panels, so each k step reads 6 adjacent
        // floats instead of touching a new cache line; measured 1.3-2x faster on the training shapes. Packing A
        // that is not transposed measured no better and is left off (it stays available for tests).

        /// <summary>Forces A packing on or off (tests and measurements); null chooses by shape.</summary>
        internal static bool? ForcePackA;
        [ThreadStatic] private static GemmJob? _instance;
        [ThreadStatic] private static AlignedArray<float>? _panelBuffer;

        private float* _c, _a, _b, _packed, _bias, _packedA;
        private nint _ldc, _lda, _ldb, _aRowStride, _aKStride;
        private bool _transA, _transB, _accumulate, _gelu, _packB, _packA, _packPhase;
        private int _m, _n, _k, _sliver, _slivers, _panels;
        private TileSchedule _schedule;
        private SimdWidth _width;

        public static GemmJob Rent() => _instance ??= new GemmJob();

        public void Set(float* c, int ldc, float* a, int lda, bool transA, float* b, int ldb, bool transB,
            float* packed, int sliver, int m, int n, int k, bool accumulate, float* bias, SimdWidth width, bool gelu)
        {
            _c = c; _ldc = ldc; _a = a; _lda = lda; _transA = transA; _b = b; _ldb = ldb; _transB = transB;
            _packed = packed; _sliver = sliver; _m = m; _n = n; _k = k; _accumulate = accumulate; _bias = bias; _width = width; _gelu = gelu;
            _slivers = (n + sliver - 1) / sliver;
            _panels = (m + GemmKernels.Rows - 1) / GemmKernels.Rows;
        }

        public void Run(bool packB)
        {
            long flops = 2L * _m * _n * _k;
            bool parallel = flops >= ParallelFlopThreshold && ComputePool.Parallelism > 1 && !ComputePool.IsInsideParallelWork;
            _packB = packB;
            _packA = ForcePackA ?? (_panels > 1 && _transA);
            if (_packA)
            {
                _packedA = AlignedArray.Grow(ref _panelBuffer, (long)_panels * GemmKernels.Rows * _k + 16, 1 << 16);
                // op(A)[i, p] of panel q lives at packedA[q * Rows * k + p * Rows + (i - q * Rows)].
                _aRowStride = 1;
                _aKStride = GemmKernels.Rows;
            }
            else
            {
                // op(A)[i, p] lives at a[i * rowStride + p * kStride].
                _aRowStride = _transA ? 1 : _lda;
                _aKStride = _transA ? _lda : 1;
            }

            // Phase 1: pack the slivers of B and the panels of A.
            int packTasks = (_packB ? _slivers : 0) + (_packA ? PanelPackTasks : 0);
            if (packTasks > 0)
            {
                _packPhase = true;
                ComputePool.Run(this, packTasks, parallel);
                _packPhase = false;
            }
            // Phase 2: tiles.
            _schedule = new TileSchedule(_m, _slivers, parallel);
            ComputePool.Run(this, _schedule.Tasks, parallel);
        }

        public override void Execute(int index)
        {
            if (_packPhase)
            {
                int bTasks = _packB ? _slivers : 0;
                if (index < bTasks) PackSliver(index); else PackPanel(index - bTasks);
                return;
            }
            var (s, firstPanel, endPanel) = _schedule.Task(index);
            int j0 = s * _sliver, cols = Math.Min(_sliver, _n - j0);
            float* sliverData = _packed + (long)s * _sliver * _k;
            float* bias = _bias == null ? null : _bias + j0;
            float* tile = stackalloc float[GemmKernels.TileScratch];
            for (int q = firstPanel; q < endPanel; q++)
            {
                int i = q * GemmKernels.Rows;
                int rows = Math.Min(GemmKernels.Rows, _m - i);
                float* a = _packA ? _packedA + (long)q * GemmKernels.Rows * _k : _a + i * _aRowStride;
                float* c = _c + i * _ldc + j0;
                switch (_width)
                {
                    case SimdWidth.V512:
                        GemmKernels.Tile512(a, _aRowStride, _aKStride, sliverData, _k, c, _ldc, rows, cols, _accumulate, bias, _gelu, tile);
                        break;
                    case SimdWidth.V256:
                        GemmKernels.Tile256(a, _aRowStride, _aKStride, sliverData, _k, c, _ldc, rows, cols, _accumulate, bias, _gelu, tile);
                        break;
                    default:
                        GemmKernels.TilePortable(a, _aRowStride, _aKStride, sliverData, _sliver, _k, c, _ldc, rows, cols, _accumulate, bias, _gelu, tile);
                        break;
                }
            }
        }

        private void PackSliver(int s)
        {
            int j0 = s * _sliver;
            GemmPacking.PackSliver(_packed + (long)s * _sliver * _k, _b, _ldb, _transB, _k, j0, Math.Min(_sliver, _n - j0), _sliver);
        }

        // A transposed is packed by blocks of its stored rows (k), each row read once, whole, and dealt out to every
        // panel: one panel at a time would read 6 floats of every row and come back for the next 6 (measured on Zen 4,
        // one core, dW of 1024 x 256 x 2048: 85 GFLOP/s panel by panel, ... by row blocks). A not transposed is packed
        // panel by panel, each panel's rows read whole.
        private const int PackedRowsPerTask = 64;

        private int PanelPackTasks => _transA ? (_k + PackedRowsPerTask - 1) / PackedRowsPerTask : _panels;

        private void PackPanel(int task)
        {
            if (!_transA)
            {
                GemmPacking.PackPanel(_packedA + (long)task * GemmKernels.Rows * _k, _a, _lda, _transA, _k, task * GemmKernels.Rows,
                    Math.Min(GemmKernels.Rows, _m - task * GemmKernels.Rows), GemmKernels.Rows);
                return;
            }
            int p0 = task * PackedRowsPerTask;
            GemmPacking.PackPanelsTransposed(_packedA, _a, _lda, _k, p0, Math.Min(_k, p0 + PackedRowsPerTask), _m, GemmKernels.Rows);
        }
    }
}
