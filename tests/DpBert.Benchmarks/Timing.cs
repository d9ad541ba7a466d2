using System.Diagnostics;
using DpBert.Tensors;

namespace DpBert.Benchmarks;

/// <summary>Wall-clock statistics of repeated runs, in milliseconds (the minimum: the run least disturbed by other work).</summary>
internal sealed record Timing(double MedianMs, double P10Ms, double P90Ms, int Runs, double MinMs)
{
    /// <summary>Warms up, then times <paramref name="action"/> until both <paramref name="minRuns"/> and <paramref name="minSeconds"/> are reached.</summary>
    /// <param name="beforeEach">Untimed preparation before every run (warm-up included), e.g. a garbage collection.</param>
    public static Timing Measure(Action action, int warmup = 3, int minRuns = 10, double minSeconds = 2.0, int maxRuns = 1000, Action? beforeEach = null)
    {
        for (int i = 0; i < warmup; i++) { beforeEach?.Invoke(); action(); }
        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (samples.Count < maxRuns && (samples.Count < minRuns || total.Elapsed.TotalSeconds < minSeconds))
        {
            beforeEach?.Invoke();
            long start = Stopwatch.GetTimestamp();
            action();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        samples.Sort();
        double At(double q) => samples[(int)Math.Min(samples.Count - 1, Math.Round(q * (samples.Count - 1)))];
        return new Timing(At(0.5), At(0.1), At(0.9), samples.Count, samples[0]);
    }

    /// <summary>
    /// Seconds on the clock a development comparison reads: the thread's CPU time when the engine runs on one thread
    /// (<c>DPBERT_THREADS=1</c>: what other jobs take is not counted), else the wall clock.
    /// </summary>
    public static Func<double> ThreadOrWallClock() =>
        ComputePool.Parallelism == 1 ? ThreadCpuClock.Seconds : () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
}
