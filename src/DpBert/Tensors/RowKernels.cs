namespace DpBert.Tensors;

/// <summary>
/// Row-wise kernels over whole activation buffers, split across the <see cref="ComputePool"/> when the
/// buffer is large enough to repay the hand-off (each task takes a contiguous block of rows).
/// </summary>
internal static unsafe class RowKernels
{
    // Below this many floats a row-wise job stays on the calling thread. 2^14 rather than 2^16: on Zen 5 (2 threads,
    // whole forwards interleaved in one process, medians of 400, same logits) splitting LayerNorm's 128 x 384 and
    // 128 x 256 and GELU's 32 x 1536 took BERT-mini b1x128 to 0.978 of the time, MiniLM b1x128 0.988, b1x64 0.991, b1x32
    // 0.982; at 2^12 the 16 x 384 LayerNorm split too and MiniLM b1x16 lost (1.007).
    private const int ParallelElements = 1 << 14;

    /// <summary>
    /// In-place LayerNorm of the first <paramref name="rows"/> rows of <paramref name="x"/>, with the gain and shift
    /// at <paramref name="weightOffset"/> and <paramref name="biasOffset"/> of <paramref name="parameters"/> (arrays and
    /// offsets rather than spans, so the work item can keep them while the pool runs it).
    /// </summary>
    public static void LayerNorm(float[] x, float[] parameters, int weightOffset, int biasOffset, int rows, int c, float eps)
    {
        var work = LayerNormWork.Instance ??= new LayerNormWork();
        work.Set(x, parameters, weightOffset, biasOffset, rows, c, eps);
        Run(work, rows, c);
    }

    /// <summary>In-place exact GELU of the first <paramref name="cols"/> floats of each of <paramref name="rows"/> rows <paramref name="ld"/> apart.</summary>
    public static void Gelu(Span<float> y, int ld, int rows, int cols)
    {
        if (rows == 0) return;
        if (y.Length < (long)(rows - 1) * ld + cols) throw new ArgumentException($"y holds {y.Length} floats, {rows} rows of {cols} need more", nameof(y));
        fixed (float* p = y)
        {
            var work = GeluWork.Instance ??= new GeluWork();
            work.Set(p, ld, rows, cols);
            Run(work, rows, cols);
            work.Set(null, 0, 0, 0);
        }
    }

    /// <summary>Runs <paramref name="work"/> over <paramref name="rows"/> rows of <paramref name="rowWidth"/> floats, in contiguous blocks across the pool when the buffer is large enough.</summary>
    internal static void Run(BlockWork work, int rows, int rowWidth)
    {
        long elements = (long)rows * rowWidth;
        int tasks = elements < ParallelElements || ComputePool.IsInsideParallelWork ? 1 : Math.Min(rows, 2 * ComputePool.Parallelism);
        work.RowsPerTask = (rows + tasks - 1) / tasks;
        work.Rows = rows;
        ComputePool.Run(work, tasks);
    }

    /// <summary>A row-wise job: <see cref="ExecuteRows"/> takes one contiguous block of rows.</summary>
    internal abstract class BlockWork : ParallelWork
    {
        public int Rows, RowsPerTask;

        public override void Execute(int index)
        {
            int first = index * RowsPerTask, end = Math.Min(Rows, first + RowsPerTask);
            if (first < end) ExecuteRows(first, end);
        }

        protected abstract void ExecuteRows(int first, int end);
    }

    private sealed class LayerNormWork : BlockWork
    {
        [ThreadStatic] public static LayerNormWork? Instance;
        private float[] _x = [], _p = [];
        private int _weight, _bias, _c;
        private float _eps;

        public void Set(float[] x, float[] p, int weight, int bias, int rows, int c, float eps) =>
            (_x, _p, _weight, _bias, Rows, _c, _eps) = (x, p, weight, bias, rows, c, eps);

        protected override void ExecuteRows(int first, int end)
        {
            var x = _x.AsSpan(first * _c, (end - first) * _c);
            Tensors.LayerNorm.Forward(x, default, default, x, _p.AsSpan(_weight, _c), _p.AsSpan(_bias, _c), end - first, _c, _eps);
        }
    }

    private sealed class GeluWork : BlockWork
    {
        [ThreadStatic] public static GeluWork? Instance;
        private float* _y;
        private int _ld, _cols;

        public void Set(float* y, int ld, int rows, int cols)
        {
            _y = y;
            (_ld, Rows, _cols) = (ld, rows, cols);
        }

        protected override void ExecuteRows(int first, int end)
        {
            for (int r = first; r < end; r++)
            {
                var row = new Span<float>(_y + (nint)r * _ld, _cols);
                Tensors.Gelu.Forward(row, row);
            }
        }
    }
}
