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
    private const long Closed = int.MaxValue;   // the index part of a ticket that hands out nothing
    private static readonly int WorkerCount = Math.Max(0, ThreadCount() - 1);
    private static readonly long DefaultSpinTicks = Stopwatch.Frequency / 5000; // 200 us of spinning before sleeping
    private static long _spinTicks = DefaultSpinTicks;
    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    [ThreadStatic] private static bool _insideParallelWork;

    // The ticket is (job number << 32) | next index. A task is claimed by advancing it with a compare-exchange, so a
    // worker that wakes late, after its job is over, can claim nothing of the next one: the job number has changed.
    private static long _ticket;
    private static ParallelWork? _work;
    private static int _count;
    private static int _done;          // tasks of the current job finished
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

    /// <summary>Runs every task of <paramref name="work"/> on the pool when <paramref name="parallel"/>, else on the calling thread.</summary>
    public static void Run(ParallelWork work, int count, bool parallel)
    {
        if (parallel) Run(work, count);
        else for (int i = 0; i < count; i++) work.Execute(i);
    }

    /// <summary>
    /// Runs <paramref name="work"/> for every index in <c>[0, count)</c> and returns when all are done. The caller
    /// waits for the tasks, not for the workers: a worker that is asleep or descheduled when the job starts does not
    /// hold it up, the caller runs the tasks it does not take.
    /// </summary>
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
            long job = (Volatile.Read(ref _ticket) >> 32) + 1;
            // Close the ticket before the job's fields change, so no late claim can pair the old job with them.
            Interlocked.Exchange(ref _ticket, job << 32 | Closed);
            _work = work;
            _count = count;
            _failure = null;
            Volatile.Write(ref _done, 0);
            Interlocked.Exchange(ref _ticket, job << 32);
            int sleeping = Volatile.Read(ref _sleeping);
            if (sleeping > 0) Wake.Release(sleeping);

            Drain();

            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < count) spin.SpinOnce(sleep1Threshold: -1);
            Interlocked.Exchange(ref _ticket, job << 32 | Closed);
            _work = null;
            if (_failure is { } failure) throw new AggregateException("a parallel kernel task failed", failure);
        }
    }

    /// <summary>Claims and runs tasks of the current job until none is left.</summary>
    private static void Drain()
    {
        _insideParallelWork = true;
        try
        {
            while (true)
            {
                long ticket = Volatile.Read(ref _ticket);
                var work = Volatile.Read(ref _work);
                int count = Volatile.Read(ref _count);
                long index = ticket & 0xFFFFFFFF;
                if (work is null || index >= count) return;
                if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket) continue;
                try { work.Execute((int)index); }
                catch (Exception e) { Interlocked.CompareExchange(ref _failure, e, null); }
                Interlocked.Increment(ref _done);
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

    /// <summary>
    /// Whether <paramref name="ticket"/> is that of a job other than <paramref name="seen"/>, open for claims. A job is
    /// announced closed (its number with <see cref="Closed"/>) before its fields are set, then opened; a worker that took
    /// the announcement for the job would find nothing to claim, wait for the next number and leave this job to the
    /// caller (seen on Zen 4, 2 threads, jobs of two 20 us tasks back to back: about 1 job in 300 under load).
    /// </summary>
    private static bool IsNewOpenJob(long ticket, long seen) => ticket >> 32 != seen && (ticket & 0xFFFFFFFF) != Closed;

    private static void WorkerLoop()
    {
        long seen = Volatile.Read(ref _ticket) >> 32;
        while (true)
        {
            // Spin for a short while for the next job, then sleep until woken.
            long start = Stopwatch.GetTimestamp();
            long ticket;
            while (!IsNewOpenJob(ticket = Volatile.Read(ref _ticket), seen))
            {
                if (Stopwatch.GetTimestamp() - start > Volatile.Read(ref _spinTicks))
                {
                    Interlocked.Increment(ref _sleeping);
                    if (!IsNewOpenJob(Volatile.Read(ref _ticket), seen)) Wake.Wait();
                    Interlocked.Decrement(ref _sleeping);
                    start = Stopwatch.GetTimestamp();
                }
                else Thread.SpinWait(20);
            }
            seen = ticket >> 32;   // the job found open, not whatever follows it by now
            Drain();
        }
    }
}
