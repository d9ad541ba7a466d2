using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Training;

/// <summary>
/// AdamW with the semantics of <c>torch.optim.AdamW</c> over a flat <see cref="ParameterSet"/>:
/// decoupled weight decay (<c>p *= 1 - lr * wd</c> before the Adam update), bias correction by step
/// count, and <c>eps</c> added to <c>sqrt(v) / sqrt(1 - beta2^t)</c>. The moments are blocks with the
/// parameters' table, so a step is one loop over a few contiguous ranges.
/// </summary>
/// <remarks>
/// Parameters are grouped as the Hugging Face <c>Trainer</c> groups them (<see cref="WeightDecayGrouping"/>).
/// A parameter for which <c>trainable</c> returns false is left out entirely, as a parameter with
/// <c>requires_grad=False</c> is: no decay, no update, its moments stay zero.
/// The learning-rate schedule is the caller's: pass this step's rate to <see cref="Step(double)"/>. A per-parameter
/// multiplier of that rate (<c>learningRateScale</c>, e.g. <see cref="LayerwiseLearningRate"/>) makes each scale its own
/// PyTorch parameter group with <c>lr = rate * scale</c>: its weight decay and step size both use the scaled rate.
/// </remarks>
public sealed class AdamW
{
    // A run of adjacent trainable table entries that share a decay flag and a learning-rate scale (Start, Length into the flat blocks).
    private readonly record struct Range(int Start, int Length, bool Decay, double Scale);

    private readonly ParameterSet _parameters;
    private readonly ParameterSet _gradients;

    /// <summary>Creates the optimizer with zeroed moments and no steps taken.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="gradients">Their gradients; must have the same table (e.g. from <see cref="ParameterSet.CreateLike"/>).</param>
    /// <param name="options">Hyper-parameters; validated here.</param>
    /// <param name="trainable">Given a parameter key, false to freeze it; null trains every parameter.</param>
    /// <param name="learningRateScale">Given a parameter key, the multiplier of the step's learning rate for it (positive and finite); null: 1 for every parameter.</param>
    /// <exception cref="ArgumentException">The tables differ, an option is out of range, or a scale is not positive and finite.</exception>
    public AdamW(ParameterSet parameters, ParameterSet gradients, AdamWOptions options, Func<string, bool>? trainable = null, Func<string, double>? learningRateScale = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckSameTable(parameters, gradients);
        _parameters = parameters;
        _gradients = gradients;
        Options = options;
        FirstMoment = parameters.CreateLike();
        SecondMoment = parameters.CreateLike();
        var ranges = BuildRanges(parameters, trainable, learningRateScale);
        _chunks = Chunks(ranges);
        TrainableCount = ranges.Sum(r => (long)r.Length);
    }

    /// <summary>The hyper-parameters.</summary>
    public AdamWOptions Options { get; }

    /// <summary>Number of steps taken; the next step uses <c>StepCount + 1</c> for bias correction.</summary>
    public long StepCount { get; private set; }

    /// <summary>The first moment <c>m</c> (PyTorch <c>exp_avg</c>), with the parameters' table.</summary>
    public ParameterSet FirstMoment { get; }

    /// <summary>The second moment <c>v</c> (PyTorch <c>exp_avg_sq</c>), with the parameters' table.</summary>
    public ParameterSet SecondMoment { get; }

    /// <summary>Number of scalar parameters this optimizer updates (frozen ones excluded).</summary>
    public long TrainableCount { get; }

    /// <summary>One update at the options' <see cref="AdamWOptions.LearningRate"/> (a constant schedule).</summary>
    public void Step() => Step(Options.LearningRate);

    /// <summary>
    /// One update at <paramref name="learningRate"/> (the schedule's rate for this step) from the current
    /// gradients, then <see cref="ParameterSet.MarkChanged"/>. Gradients are read, not cleared.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is negative, infinite or NaN.</exception>
    public void Step(double learningRate) => Step(Simd.Best, learningRate);

    internal void Step(SimdWidth width, double learningRate)
    {
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be finite and >= 0");
        using var profile = OpProfile.Measure("adamw");
        StepCount++;
        // Element-wise, so splitting the ranges over threads changes no result; it pays once the step is memory-bound.
        _work.Set(this, width, learningRate);
        ComputePool.Run(_work, _chunks.Length, parallel: TrainableCount >= ParallelElements);
        _parameters.MarkChanged();
    }

    private const int ParallelElements = 1 << 18, ChunkElements = 1 << 16;
    private readonly Range[] _chunks;          // the ranges cut into pieces of at most ChunkElements, for the pool
    private readonly StepWork _work = new();

    /// <summary>One optimizer step, one chunk of the ranges per task.</summary>
    private sealed class StepWork : ParallelWork
    {
        private AdamW _optimizer = null!;
        private SimdWidth _width;
        private double _learningRate;

        public void Set(AdamW optimizer, SimdWidth width, double learningRate) => (_optimizer, _width, _learningRate) = (optimizer, width, learningRate);

        public override void Execute(int index)
        {
            var r = _optimizer._chunks[index];
            // The rate of this chunk's parameter group: the step's rate times its scale, in double, as the coefficients are computed.
            double rate = _learningRate * r.Scale;
            var c = AdamWStepCoefficients.For(_optimizer.Options, rate, _optimizer.StepCount);
            float decay = r.Decay ? (float)(1 - rate * _optimizer.Options.WeightDecay) : 1f;
            float[] p = _optimizer._parameters.Data, g = _optimizer._gradients.Data, m = _optimizer.FirstMoment.Data, v = _optimizer.SecondMoment.Data;
            AdamWUpdate.Apply(_width, p.AsSpan(r.Start, r.Length), m.AsSpan(r.Start, r.Length), v.AsSpan(r.Start, r.Length),
                g.AsSpan(r.Start, r.Length), decay, c);
        }
    }

    private static Range[] Chunks(Range[] ranges) =>
        ranges.SelectMany(r => Enumerable.Range(0, (r.Length + ChunkElements - 1) / ChunkElements)
            .Select(i => new Range(r.Start + i * ChunkElements, Math.Min(ChunkElements, r.Length - i * ChunkElements), r.Decay, r.Scale))).ToArray();

    /// <summary>A copy of the step count and both moments, for a checkpoint.</summary>
    public AdamWState ExportState() => new(StepCount, (float[])FirstMoment.Data.Clone(), (float[])SecondMoment.Data.Clone());

    /// <summary>Replaces the step count and both moments with <paramref name="state"/> (copied), to resume training.</summary>
    /// <exception cref="ArgumentException">A moment block has the wrong length or the step count is negative.</exception>
    public void RestoreState(AdamWState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.FirstMoment, nameof(state) + "." + nameof(state.FirstMoment));
        ArgumentNullException.ThrowIfNull(state.SecondMoment, nameof(state) + "." + nameof(state.SecondMoment));
        long n = FirstMoment.Count;
        if (state.FirstMoment.LongLength != n)
            throw new ArgumentException($"AdamW state: first moment holds {state.FirstMoment.LongLength} floats, the model has {n} parameters", nameof(state));
        if (state.SecondMoment.LongLength != n)
            throw new ArgumentException($"AdamW state: second moment holds {state.SecondMoment.LongLength} floats, the model has {n} parameters", nameof(state));
        if (state.Step < 0) throw new ArgumentException($"AdamW state: step count {state.Step} is negative", nameof(state));
        state.FirstMoment.CopyTo(FirstMoment.Data, 0);
        state.SecondMoment.CopyTo(SecondMoment.Data, 0);
        StepCount = state.Step;
    }

    private static void CheckSameTable(ParameterSet parameters, ParameterSet gradients)
    {
        if (ReferenceEquals(parameters.Parameters, gradients.Parameters)) return;
        var a = parameters.Parameters;
        var b = gradients.Parameters;
        if (a.Count != b.Count)
            throw new ArgumentException($"gradients have {b.Count} tensors, parameters {a.Count}", nameof(gradients));
        for (int i = 0; i < a.Count; i++)
            if (a[i].Name != b[i].Name || a[i].Offset != b[i].Offset || a[i].Length != b[i].Length)
                throw new ArgumentException(
                    $"gradient table entry {i} is {b[i].Name} {b[i].ShapeText} at {b[i].Offset}, parameter is {a[i].Name} {a[i].ShapeText} at {a[i].Offset}",
                    nameof(gradients));
    }

    private static Range[] BuildRanges(ParameterSet parameters, Func<string, bool>? trainable, Func<string, double>? learningRateScale)
    {
        var ranges = new List<Range>();
        foreach (var info in parameters.Parameters)
        {
            if (trainable is not null && !trainable(info.Name)) continue;
            bool decay = WeightDecayGrouping.IsDecayed(info.Name);
            double scale = learningRateScale?.Invoke(info.Name) ?? 1;
            if (!(scale > 0) || double.IsInfinity(scale))
                throw new ArgumentException($"the learning-rate scale of parameter \"{info.Name}\" is {scale}; it must be positive and finite", nameof(learningRateScale));
            int start = (int)info.Offset;
            if (ranges.Count > 0 && ranges[^1] is var last && last.Decay == decay && last.Scale == scale && last.Start + last.Length == start)
                ranges[^1] = last with { Length = last.Length + info.Length };
            else
                ranges.Add(new Range(start, info.Length, decay, scale));
        }
        return [.. ranges];
    }
}
