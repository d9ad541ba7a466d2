namespace DpBert.Evaluation;

/// <summary>How latency is measured.</summary>
public sealed record LatencyOptions
{
    /// <summary>Inputs run at batch size 1 before timing starts (and one batch at the throughput size).</summary>
    public int WarmupInputs { get; init; } = 16;
    /// <summary>
    /// Minimum warm-up time in milliseconds (inputs keep cycling until both this and <see cref="WarmupInputs"/>
    /// are reached), long enough for .NET's tiered compilation to install optimised code before timing.
    /// </summary>
    public int WarmupMilliseconds { get; init; } = 500;
    /// <summary>Inputs timed one at a time (the first N of the set; 0 or more than the set = all).</summary>
    public int Batch1Inputs { get; init; } = 0;
    /// <summary>Batch size of the throughput measurement (also the batch the metric is computed from).</summary>
    public int ThroughputBatchSize { get; init; } = 32;
    /// <summary>
    /// Rounds over all points of a sweep: each input's batch-1 latency is the minimum over rounds and the
    /// throughput the maximum, which removes most interference from other processes (noise only adds time).
    /// </summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count or a batch size below 1.</exception>
    public void Validate()
    {
        if (WarmupInputs < 0) throw new ArgumentOutOfRangeException(nameof(WarmupInputs), $"--warmup {WarmupInputs} must be >= 0");
        if (WarmupMilliseconds < 0) throw new ArgumentOutOfRangeException(nameof(WarmupMilliseconds), $"warm-up time {WarmupMilliseconds} ms must be >= 0");
        if (Batch1Inputs < 0) throw new ArgumentOutOfRangeException(nameof(Batch1Inputs), $"--batch1-inputs {Batch1Inputs} must be >= 0");
        if (Rounds < 1) throw new ArgumentOutOfRangeException(nameof(Rounds), $"--rounds {Rounds} must be >= 1");
        if (ThroughputBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(ThroughputBatchSize), $"--batch-size {ThroughputBatchSize} must be >= 1");
    }
}
