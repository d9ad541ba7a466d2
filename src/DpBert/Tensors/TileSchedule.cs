namespace DpBert.Tensors;

/// <summary>
/// How a GEMM's micro-tiles are split into tasks for the <see cref="ComputePool"/> (the same for fp32, int8 and bf16):
/// one task per (row chunk, sliver), chunk-major, so that the tasks a thread takes one after another share their rows of
/// A, which stay in L2. A chunk is at most <see cref="ChunkRows"/> rows; more chunks are made when there are too few
/// slivers for dynamic balancing.
/// </summary>
internal readonly struct TileSchedule
{
    /// <summary>
    /// Rows of A per task at most (measured on Zen 4, one core: 1024 x 768 x 3072 at 108 GFLOP/s in chunks of 384 rows,
    /// 104 unchunked; blocking k as well gained nothing there, the hardware prefetcher streams a sliver from L2 fast enough;
    /// on Zen 5, two threads, k blocks of 256 with partial sums carried in C lost 10-18%: 1024 x 768 x 3072 381.6 -> 311.6 GFLOP/s).
    /// </summary>
    public const int ChunkRows = 384;

    /// <summary>Rows of C per micro-tile.</summary>
    public const int TileRows = 6;

    private readonly int _slivers, _panels, _panelsPerChunk;

    /// <summary>Number of tasks.</summary>
    public int Tasks { get; }

    /// <summary>The schedule for <paramref name="m"/> rows and <paramref name="slivers"/> slivers, on one thread or all.</summary>
    public TileSchedule(int m, int slivers, bool parallel)
    {
        _slivers = slivers;
        _panels = (m + TileRows - 1) / TileRows;
        int wanted = parallel ? 4 * ComputePool.Parallelism : 1;
        int byCache = (_panels * TileRows + ChunkRows - 1) / ChunkRows;
        int chunks = Math.Clamp(Math.Max(byCache, (wanted + slivers - 1) / slivers), 1, _panels);
        _panelsPerChunk = (_panels + chunks - 1) / chunks;
        chunks = (_panels + _panelsPerChunk - 1) / _panelsPerChunk;
        Tasks = slivers * chunks;
    }

    /// <summary>Task <paramref name="index"/>: its sliver and its panels (blocks of <see cref="TileRows"/> rows) <c>[first, end)</c>.</summary>
    public (int Sliver, int FirstPanel, int EndPanel) Task(int index)
    {
        int chunk = index / _slivers, first = chunk * _panelsPerChunk;
        return (index % _slivers, first, Math.Min(_panels, first + _panelsPerChunk));
    }
}
