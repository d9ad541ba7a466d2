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

    /// <summary>Starts timing <paramref name="op"/>; <paramref name="flops"/> is its arithmetic (0 for memory-bound ops).</summary>
    public static Scope Measure(string op, double flops = 0) => Enabled ? new Scope(op, flops, Stopwatch.GetTimestamp()) : default;

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
            return Totals.Select(p => (p.Key, p.Value.Ticks * 1000.0 / Stopwatch.Frequency, p.Value.Flops, p.Value.Calls))
                .OrderByDescending(e => e.Item2).ToArray();
        }
    }

    private static void Add(string op, long ticks, double flops)
    {
        lock (Totals)
        {
            if (!Totals.TryGetValue(op, out var e)) Totals[op] = e = new Entry();
            e.Ticks += ticks;
            e.Flops += flops;
            e.Calls++;
        }
    }

    private sealed class Entry
    {
        public long Ticks, Calls;
        public double Flops;
    }

    /// <summary>One timed operation; disposing it adds its time to the totals.</summary>
    public readonly struct Scope(string? op, double flops, long start) : IDisposable
    {
        /// <summary>Stops the clock.</summary>
        public void Dispose()
        {
            if (op is not null) Add(op, Stopwatch.GetTimestamp() - start, flops);
        }
    }
}
