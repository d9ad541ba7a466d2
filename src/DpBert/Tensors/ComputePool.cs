using System.Diagnostics;

namespace DpBert.Tensors;

/// <summary>
/// A unit of parallel work: <see cref="Execute"/> is called once for every index in
/// <c>[0, count)</c>, from the caller's thread and the pool's workers.
/// </summary>
internal abstract class ParallelWork
{
    /// <summary>Runs task <paramref name="index"/>; must be safe to call concurrently for different indices.</summary>
    public abstract void Execute(int index);
}

/// <summary>
/// A tiny fork-join pool for the kernels: one worker per extra core, which spin briefly after each
/// job before sleeping. Waking a sleeping thread costs tens to hundreds of microseconds on these VMs,
/// so back-to-back kernels (the GEMMs of one layer) find the workers still awake. Work is handed
/// out dynamically, one index at a time, and the calling thread takes part. Nested calls (a kernel
/// called from inside a parallel task) run serially.
/// </summary>
internal static class ComputePool
{
    private static readonly int WorkerCount = Math.Max(0, ThreadCount() - 1);
    private static readonly long DefaultSpinTicks = Stopwatch.Frequency / 5000; // 200 us of spinning before sleeping
    private static long _spinTicks = DefaultSpinTicks;
    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    [ThreadStatic] private static bool _insideParallelWork;

    private static ParallelWork? _work;
    private static int _count;
    private static int _next;
    private static int _pending;       // workers that have not yet finished the current job
    private static long _generation;   // incremented per job; workers watch it
    private static int _sleeping;      // workers blocked on Wake
    private static Exception? _failure;
    private static bool _started;

    /// <summary>Number of threads a job can use (workers plus the caller).</summary>
    public static int Parallelism => WorkerCount + 1;

    /// <summary>
    /// Whether idle workers spin before sleeping. A native library with threads of its own (OpenBLAS)
    /// turns this off: spinning workers would take its cores.
    /// </summary>
    public static bool SpinWhenIdle
    {
        get => Volatile.Read(ref _spinTicks) > 0;
        set => Volatile.Write(ref _spinTicks, value ? DefaultSpinTicks : 0);
    }

    /// <summary>True on a thread that is already executing a parallel task.</summary>
    public static bool IsInsideParallelWork => _insideParallelWork;

    /// <summary>Threads to use: <c>DPBERT_THREADS</c> when set, else the processor count.</summary>
    private static int ThreadCount()
    {
        string? text = Environment.GetEnvironmentVariable("DPBERT_THREADS");
        if (string.IsNullOrWhiteSpace(text)) return Environment.ProcessorCount;
        return int.TryParse(text, out int n) && n >= 1
            ? n
            : throw new InvalidOperationException($"DPBERT_THREADS=\"{text}\" is not a positive whole number");
    }

    /// <summary>Runs <paramref name="work"/> for every index in <c>[0, count)</c> and returns when all are done.</summary>
    public static void Run(ParallelWork work, int count)
    {
        if (count <= 0) return;
        if (count == 1 || WorkerCount == 0 || _insideParallelWork)
        {
            for (int i = 0; i < count; i++) work.Execute(i);
            return;
        }
        lock (Gate) // one job at a time; concurrent callers queue here
        {
            EnsureStarted();
            _work = work;
            _count = count;
            _failure = null;
            Volatile.Write(ref _next, 0);
            Volatile.Write(ref _pending, WorkerCount);
            Interlocked.Increment(ref _generation);
            int sleeping = Volatile.Read(ref _sleeping);
            if (sleeping > 0) Wake.Release(sleeping);

            Drain();

            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
            _work = null;
            if (_failure is { } failure) throw new AggregateException("a parallel kernel task failed", failure);
        }
    }

    private static void Drain()
    {
        var work = _work!;
        int count = _count;
        _insideParallelWork = true;
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < count)
            {
                try { work.Execute(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref _failure, e, null); }
            }
        }
        finally { _insideParallelWork = false; }
    }

    private static void EnsureStarted()
    {
        if (_started) return;
        _started = true;
        for (int w = 0; w < WorkerCount; w++)
        {
            new Thread(WorkerLoop) { IsBackground = true, Name = $"DpBert compute {w + 1}" }.Start();
        }
    }

    private static void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            // Spin for a short while for the next job, then sleep until woken.
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - start > Volatile.Read(ref _spinTicks))
                {
                    Interlocked.Increment(ref _sleeping);
                    if (Volatile.Read(ref _generation) == seen) Wake.Wait();
                    Interlocked.Decrement(ref _sleeping);
                    start = Stopwatch.GetTimestamp();
                }
                else Thread.SpinWait(20);
            }
            seen = Volatile.Read(ref _generation);
            Drain();
            Interlocked.Decrement(ref _pending);
        }
    }
}
