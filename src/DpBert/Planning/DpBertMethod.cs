using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Methods;

namespace DpBert.Planning;

/// <summary>
/// DPBERT: a planner reads [CLS] (or the mean of the tokens) after the first k layers and decides, per input, which
/// of the remaining layers run (knob <c>theta</c>: a planned layer runs when the planner's probability exceeds it). Its
/// folder is written by <c>dpbert plan</c> (<see cref="DpBertFolder"/>).
/// </summary>
public sealed class DpBertMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static DpBertMethod Instance { get; } = new();
    private DpBertMethod() { }

    /// <inheritdoc/>
    public override string Name => "dpbert";
    /// <inheritdoc/>
    public override string Description => "a planner picks, per input and before they run, which layers after the first k execute";
    /// <inheritdoc/>
    public override Knob Knob { get; } = new("theta", "a planned layer runs when the planner's probability exceeds theta; higher is faster", WholeNumber: false);
    /// <inheritdoc/>
    public override string DefaultFolderName => "dpbert";
    /// <inheritdoc/>
    public override string TrainingCommand => "dpbert plan";

    /// <summary>Checks a threshold: it must lie in (0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">It does not; the message names theta and the value.</exception>
    public static void CheckTheta(double theta)
    {
        if (!(theta > 0 && theta < 1)) throw new ArgumentOutOfRangeException(nameof(theta), $"theta {theta} must be in (0, 1)");
    }

    /// <inheritdoc/>
    public override void ValidateKnob(double value, BertConfig config) => CheckTheta(value);
    /// <inheritdoc/>
    public override double DefaultKnob(BertConfig config) => 0.5;
    /// <inheritdoc/>
    public override IReadOnlyList<double> SweepGrid(BertConfig config) => [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
    /// <inheritdoc/>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null) => DpBertFolder.Load(RequireFolder(fineTuned, folder)).Classifier;
}
