using System.Runtime.InteropServices;

namespace DpBert.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>): time the thread actually ran, so a
/// single-threaded kernel can be measured on a machine where other processes take the core from it now and then.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>True where the clock can be read (Linux).</summary>
    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && TryRead(out _);

    /// <summary>Seconds of CPU time this thread has used.</summary>
    public static double Seconds() => TryRead(out double s) ? s : throw new PlatformNotSupportedException("CLOCK_THREAD_CPUTIME_ID is not available");

    private static bool TryRead(out double seconds)
    {
        seconds = 0;
        try
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0) return false;
            seconds = t.Seconds + t.Nanoseconds * 1e-9;
            return true;
        }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }
}
