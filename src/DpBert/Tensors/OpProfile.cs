using System.Diagnostics;

namespace DpBert.Tensors;

/// <summary>
/// Wall-clock totals per operation of a forward or training pass, for finding where the time goes (the benchmarks'
/// <c>profile</c> command turns it on). The call sites are the leaves of the layer code (one GEMM, one attention
/// pass, one LayerNorm), so nothing is counted twice. Off, a scope costs one static read.
/// </summary>
internal static class OpProfile
{
    private static readonly Dictionary<string, Entry> Totals = [];

    /// <summary>Whether scopes record (set by the benchmark, never by the library).</summary>
    public static bool Enabled { get; set; }

    /// <summary>
    /// The clock, in seconds (default: wall clock). A benchmark on one thread may use that thread's CPU time instead, so
    /// time the thread spends descheduled on a busy machine is not counted.
    /// </summary>
    public static Func<double> Clock { get; set; } = () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>Starts timing <paramref name="op"/>; <paramref name="flops"/> is its arithmetic (0 for memory-bound ops).</summary>
    /// <remarks>Scopes opened inside a parallel task record nothing: the scope around the parallel run counts its time once.</remarks>
    public static Scope Measure(string op, double flops = 0) => Enabled && !ComputePool.IsInsideParallelWork ? new Scope(op, flops, Clock()) : default;

    /// <summary>Clears the totals.</summary>
    public static void Reset()
    {
        lock (Totals) Totals.Clear();
    }

    /// <summary>The totals so far, largest first.</summary>
    public static IReadOnlyList<(string Op, double Milliseconds, double Flops, long Calls)> Snapshot()
    {
        lock (Totals)
        {
            return Totals.Select(p => (p.Key, p.Value.Seconds * 1000.0, p.Value.Flops, p.Value.Calls))
                .OrderByDescending(e => e.Item2).ToArray();
        }
    }

    private static void Add(string op, double seconds, double flops)
    {
        lock (Totals)
        {
            if (!Totals.TryGetValue(op, out var e)) Totals[op] = e = new Entry();
            e.Seconds += seconds;
            e.Flops += flops;
            e.Calls++;
        }
    }

    private sealed class Entry
    {
        public long Calls;
        public double Seconds, Flops;
    }

    /// <summary>One timed operation; disposing it adds its time to the totals.</summary>
    public readonly struct Scope(string? op, double flops, double start) : IDisposable
    {
        /// <summary>Stops the clock.</summary>
        public void Dispose()
        {
            if (op is not null) Add(op, Clock() - start, flops);
        }
    }
}
