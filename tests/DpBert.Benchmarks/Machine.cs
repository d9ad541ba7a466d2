namespace DpBert.Benchmarks;

/// <summary>What every reported figure is printed beside: the CPU and how busy the machine was.</summary>
internal static class Machine
{
    /// <summary>The CPU's model name with its family and model numbers, from <c>/proc/cpuinfo</c>.</summary>
    public static string CpuName()
    {
        try
        {
            var info = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0)
                .Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
            return $"{info.GetValueOrDefault("model name", "?")} (family {info.GetValueOrDefault("cpu family", "?")} model {info.GetValueOrDefault("model", "?")}), {Environment.ProcessorCount} logical cores";
        }
        catch (IOException) { return $"unknown CPU, {Environment.ProcessorCount} logical cores"; }
    }

    /// <summary>The 1, 5 and 15 minute load averages.</summary>
    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }
}
