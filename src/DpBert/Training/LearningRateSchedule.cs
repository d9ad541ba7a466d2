namespace DpBert.Training;

/// <summary>
/// A learning-rate schedule as a pure function of the step, matching the <c>lr_lambda</c> functions of
/// Hugging Face <c>transformers</c> under <c>torch.optim.lr_scheduler.LambdaLR</c>.
/// </summary>
/// <remarks>
/// <c>LambdaLR</c> evaluates <c>lr_lambda(0)</c> when it is built and <c>lr_lambda(k)</c> after the k-th
/// <c>scheduler.step()</c>, so the s-th optimizer update (1-based) runs at
/// <c>base_lr * lr_lambda(s - 1)</c>. <see cref="Factor"/> takes that 1-based s; <see cref="FactorAfter"/>
/// takes the number of steps already taken, HF's <c>current_step</c>.
/// </remarks>
public sealed record LearningRateSchedule
{
    /// <summary>The names <see cref="ParseKind"/> accepts, as the <c>lr_scheduler_type</c> strings of <c>transformers</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["linear", "constant", "constant_with_warmup", "cosine"];

    /// <summary>Creates a schedule.</summary>
    /// <param name="kind">The shape.</param>
    /// <param name="totalSteps">Number of optimizer updates in the run (HF <c>num_training_steps</c>).</param>
    /// <param name="warmupSteps">Number of warm-up updates (HF <c>num_warmup_steps</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative or the kind is unknown.</exception>
    public LearningRateSchedule(LearningRateScheduleKind kind, int totalSteps, int warmupSteps)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown learning-rate schedule");
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        Kind = kind;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
    }

    /// <summary>The shape.</summary>
    public LearningRateScheduleKind Kind { get; }

    /// <summary>Number of optimizer updates in the run.</summary>
    public int TotalSteps { get; }

    /// <summary>Number of warm-up updates.</summary>
    public int WarmupSteps { get; }

    /// <summary>
    /// A schedule from its HF name, with warm-up given as <paramref name="warmupSteps"/> or as
    /// <paramref name="warmupRatio"/> of the total (at most one of them; neither means no warm-up).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name, both warm-up forms given, or a value out of range.</exception>
    public static LearningRateSchedule Create(string name, int totalSteps, int? warmupSteps = null, double? warmupRatio = null) =>
        new(ParseKind(name), totalSteps, ResolveWarmupSteps(totalSteps, warmupSteps, warmupRatio));

    /// <summary>The kind named <paramref name="name"/>: <c>linear</c>, <c>constant</c>, <c>constant_with_warmup</c> or <c>cosine</c>.</summary>
    /// <exception cref="ArgumentException">Any other name; the message lists the supported ones.</exception>
    public static LearningRateScheduleKind ParseKind(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name switch
        {
            "linear" => LearningRateScheduleKind.Linear,
            "constant" => LearningRateScheduleKind.Constant,
            "constant_with_warmup" => LearningRateScheduleKind.ConstantWithWarmup,
            "cosine" => LearningRateScheduleKind.Cosine,
            _ => throw new ArgumentException($"unknown learning-rate schedule \"{name}\"; supported: {string.Join(", ", Names)}", nameof(name)),
        };
    }

    /// <summary>
    /// The warm-up length: <paramref name="warmupSteps"/> if given, else <c>ceil(totalSteps * warmupRatio)</c>
    /// as <c>TrainingArguments.get_warmup_steps</c> computes it, else 0.
    /// </summary>
    /// <exception cref="ArgumentException">Both are given, steps are negative, or the ratio is outside [0, 1].</exception>
    public static int ResolveWarmupSteps(int totalSteps, int? warmupSteps, double? warmupRatio)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        if (warmupSteps is not null && warmupRatio is not null)
            throw new ArgumentException($"give warm-up as steps ({warmupSteps}) or as a ratio ({warmupRatio}), not both");
        if (warmupSteps is { } steps)
            return steps >= 0 ? steps : throw new ArgumentException($"warm-up steps {steps} must be >= 0", nameof(warmupSteps));
        if (warmupRatio is { } ratio)
            return ratio is >= 0 and <= 1
                ? (int)Math.Ceiling(totalSteps * ratio)
                : throw new ArgumentException($"warm-up ratio {ratio} must lie in [0, 1]", nameof(warmupRatio));
        return 0;
    }

    /// <summary>The factor of the <paramref name="step"/>-th update (1-based): <c>FactorAfter(step - 1)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is below 1.</exception>
    public double Factor(int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        return FactorAfter(step - 1);
    }

    /// <summary>The learning rate of the <paramref name="step"/>-th update (1-based): <c>baseRate * Factor(step)</c>.</summary>
    public double RateAt(int step, double baseRate) => baseRate * Factor(step);

    /// <summary>
    /// HF's <c>lr_lambda(current_step)</c>: the factor once <paramref name="stepsTaken"/> updates are done.
    /// Past <see cref="TotalSteps"/>, linear stays at 0 and cosine rises again, as in <c>transformers</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepsTaken"/> is negative.</exception>
    public double FactorAfter(int stepsTaken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepsTaken);
        if (Kind == LearningRateScheduleKind.Constant) return 1.0;
        if (stepsTaken < WarmupSteps) return (double)stepsTaken / Math.Max(1, WarmupSteps);
        // The max(1, .) guards are HF's: they keep T == W (or W == 0) from dividing by zero.
        double decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        return Kind switch
        {
            LearningRateScheduleKind.Linear => Math.Max(0.0, (TotalSteps - stepsTaken) / decaySteps),
            LearningRateScheduleKind.ConstantWithWarmup => 1.0,
            LearningRateScheduleKind.Cosine => CosineAfterWarmup((stepsTaken - WarmupSteps) / decaySteps),
            _ => throw new InvalidOperationException($"unhandled schedule {Kind}"),
        };
    }

    // num_cycles = 0.5: half a period, from 1 at progress 0 to 0 at progress 1.
    private static double CosineAfterWarmup(double progress) =>
        Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * 0.5 * 2.0 * progress)));
}
