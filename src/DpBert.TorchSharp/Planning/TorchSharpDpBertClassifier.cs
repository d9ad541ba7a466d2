using DpBert.Checkpoints;
using DpBert.Methods;
using DpBert.Planning;
using DpBert.TorchSharp.Interop;
using static TorchSharp.torch;
using CoreBatch = DpBert.Bert.BertBatch;
using CoreClassifier = DpBert.Bert.BertForSequenceClassification;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Planning;

/// <summary>
/// DPBERT run by the TorchSharp engine, as a method of the core engine's toolkit: the same knob (theta) and sweep as
/// <see cref="DpBertMethod"/>, a DPBERT folder loaded into TorchSharp modules (<see cref="TorchModelFolder.LoadDpBert"/>).
/// Its name, <c>dpbert-torchsharp</c>, keeps it apart from the core engine's <c>dpbert</c> in one sweep or table.
/// </summary>
public sealed class TorchSharpDpBertMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static TorchSharpDpBertMethod Instance { get; } = new();
    private TorchSharpDpBertMethod() { }

    /// <inheritdoc/>
    public override string Name => "dpbert-torchsharp";
    /// <inheritdoc/>
    public override string Description => "DPBERT (planned layers per input) on TorchSharp/libtorch";
    /// <inheritdoc/>
    public override Knob? Knob => DpBertMethod.Instance.Knob;
    /// <inheritdoc/>
    public override string DefaultFolderName => DpBertMethod.Instance.DefaultFolderName;
    /// <inheritdoc/>
    public override string TrainingCommand => "dpbert plan --engine torchsharp";
    /// <inheritdoc/>
    public override void ValidateKnob(double value, CoreConfig config) => DpBertMethod.CheckTheta(value);
    /// <inheritdoc/>
    public override double DefaultKnob(CoreConfig config) => DpBertMethod.Instance.DefaultKnob(config);
    /// <inheritdoc/>
    public override IReadOnlyList<double> SweepGrid(CoreConfig config) => DpBertMethod.Instance.SweepGrid(config);
    /// <inheritdoc/>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null) =>
        new TorchSharpDpBertClassifier(TorchModelFolder.LoadDpBert(RequireFolder(fineTuned, folder)).Model);
}

/// <summary>
/// A TorchSharp DPBERT model behind the core engine's <see cref="IAdaptiveClassifier"/>, so the core's evaluation,
/// latency measurement, trade-off sweeps and path views run it exactly as they run the core engine's
/// <see cref="DpBertClassifier"/> (batches are copied to the model's device, logits and the planner's probabilities back
/// to the host). Not thread-safe.
/// </summary>
public sealed class TorchSharpDpBertClassifier(DpBertForSequenceClassification model) : IAdaptiveClassifier
{
    private CoreClassifier? _coreCopy;

    /// <summary>The TorchSharp model.</summary>
    public DpBertForSequenceClassification Module { get; } = model;

    /// <inheritdoc/>
    public AdaptiveMethod Method => TorchSharpDpBertMethod.Instance;

    /// <summary>A core-engine copy of the backbone, made when first asked for (configuration, label names, probabilities).</summary>
    public CoreClassifier Model => _coreCopy ??= TorchModelFolder.ToCore(Module.Backbone);

    /// <inheritdoc/>
    public AdaptiveOutput Classify(CoreBatch batch, double knob)
    {
        DpBertMethod.CheckTheta(knob);
        var config = Module.Config;
        batch.Validate(config);
        Module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var inputs = TorchBatch.From(batch, Module.Device());
        using var planned = Module.Predict(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask, knob);
        int k = Module.Planner.AlwaysRunLayers, p = Module.Planner.PlannedLayers;
        var probabilities = new IReadOnlyList<double?>[batch.BatchSize];
        for (int r = 0; r < batch.BatchSize; r++)
        {
            var row = new double?[k + p];
            for (int i = 0; i < p; i++) row[k + i] = planned.LayerProbabilities[r * p + i];
            probabilities[r] = row;
        }
        return new AdaptiveOutput(PlanningModule.HostLogits(planned.Logits), planned.Plans, probabilities);
    }
}
