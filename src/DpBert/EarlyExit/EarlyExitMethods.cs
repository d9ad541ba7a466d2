using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Methods;

namespace DpBert.EarlyExit;

/// <summary>DeeBERT (Xin et al., 2020): exit at the first layer whose own head's prediction entropy is below S (knob <c>entropy</c>).</summary>
public sealed class DeeBertMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static DeeBertMethod Instance { get; } = new();
    private DeeBertMethod() { }

    /// <inheritdoc/>
    public override string Name => "deebert";
    /// <inheritdoc/>
    public override string Description => "an exit head after every layer; an input stops once a head is confident enough (entropy below S)";
    /// <inheritdoc/>
    public override Knob Knob { get; } = new("entropy", "exit when the head's prediction entropy (nats) is below it; higher is faster", WholeNumber: false);
    /// <inheritdoc/>
    public override string DefaultFolderName => "deebert";
    /// <inheritdoc/>
    public override string TrainingCommand => "dpbert exits --method deebert";

    /// <inheritdoc/>
    public override void ValidateKnob(double value, BertConfig config)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(nameof(value), $"DeeBERT entropy threshold {value} must be a finite number >= 0");
    }

    /// <inheritdoc/>
    public override double DefaultKnob(BertConfig config) => 0.3;

    /// <summary>0 to 0.7 nats for two classes, scaled by log2 of the class count (the entropy's range grows with it).</summary>
    public override IReadOnlyList<double> SweepGrid(BertConfig config) =>
        new[] { 0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 }.Select(s => s * Math.Log(Math.Max(2, config.NumLabels)) / Math.Log(2)).ToArray();

    /// <inheritdoc/>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null) => EarlyExitFolder.Load(RequireFolder(fineTuned, folder)).Classifier;
}

/// <summary>PABEE (Zhou et al., 2020): exit once the exit heads' prediction has stayed the same for <c>patience</c> layers.</summary>
public sealed class PabeeMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static PabeeMethod Instance { get; } = new();
    private PabeeMethod() { }

    /// <inheritdoc/>
    public override string Name => "pabee";
    /// <inheritdoc/>
    public override string Description => "a linear head after every layer; an input stops once its prediction stays the same for `patience` layers";
    /// <inheritdoc/>
    public override Knob Knob { get; } = new("patience", "layers in a row with the same prediction before exiting; lower is faster", WholeNumber: true);
    /// <inheritdoc/>
    public override string DefaultFolderName => "pabee";
    /// <inheritdoc/>
    public override string TrainingCommand => "dpbert exits --method pabee";

    /// <inheritdoc/>
    public override void ValidateKnob(double value, BertConfig config)
    {
        if (!(value >= 1) || value != Math.Floor(value) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(nameof(value), $"PABEE patience {value} must be a whole number >= 1");
    }

    /// <inheritdoc/>
    public override double DefaultKnob(BertConfig config) => 2;

    /// <inheritdoc/>
    public override IReadOnlyList<double> SweepGrid(BertConfig config) => Enumerable.Range(1, Math.Max(1, config.NumHiddenLayers - 1)).Select(p => (double)p).ToArray();

    /// <inheritdoc/>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null) => EarlyExitFolder.Load(RequireFolder(fineTuned, folder)).Classifier;
}
