using DpBert.Bert;
using DpBert.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace DpBert.TorchSharp.Planning;

/// <summary>
/// A TorchSharp DPBERT model behind the core engine's <see cref="IAdaptiveClassifier"/>, so the core's evaluation,
/// latency measurement and trade-off sweeps run it exactly as they run the core engine's <see cref="DpBert.Planning.DpBertClassifier"/>
/// (batches are copied to the model's device, logits back to the host). Not thread-safe.
/// </summary>
/// <param name="model">The model.</param>
/// <param name="method">The name in result records: <c>dpbert</c> by default; another name (such as <c>dpbert-torchsharp</c>)
/// keeps it apart from the core engine's DPBERT in one sweep or table.</param>
public sealed class TorchSharpDpBertClassifier(DpBertForSequenceClassification model, string method = "dpbert") : IAdaptiveClassifier
{
    /// <summary>The model.</summary>
    public DpBertForSequenceClassification Model { get; } = model;

    /// <inheritdoc/>
    public string Method { get; } = method;
    /// <inheritdoc/>
    public string KnobName => "theta";
    /// <inheritdoc/>
    public int LayerCount => Model.Config.NumHiddenLayers;
    /// <inheritdoc/>
    public int NumLabels => Model.Config.NumLabels;
    /// <inheritdoc/>
    public int PadTokenId => Model.Config.PadTokenId;

    /// <inheritdoc/>
    public void ValidateKnob(double knob)
    {
        if (!(knob > 0 && knob < 1)) throw new ArgumentOutOfRangeException(nameof(knob), $"theta {knob} must be in (0, 1)");
    }

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        ValidateKnob(knob);
        batch.Validate(Model.Config);
        Model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var inputs = TorchBatch.From(batch, Model.Device());
        using var planned = Model.Predict(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask, knob);
        return new AdaptiveOutput(PlanningModule.HostLogits(planned.Logits), planned.Plans);
    }
}
