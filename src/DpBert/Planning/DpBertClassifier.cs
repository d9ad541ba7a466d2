using DpBert.Bert;
using DpBert.Evaluation;

namespace DpBert.Planning;

/// <summary>A prediction with the plan that produced it.</summary>
/// <param name="Logits">Class scores (num_labels).</param>
/// <param name="Plan">Which layers ran for this input.</param>
/// <param name="LayerProbabilities">The planner's probability for each planned layer (L - k).</param>
public sealed record PlannedPrediction(float[] Logits, LayerPlan Plan, float[] LayerProbabilities);

/// <summary>
/// DPBERT inference: the first k layers run for every input, the planner decides the remaining layers
/// once from the [CLS] state, and only the selected layers execute (each on the sub-batch that selected it).
/// </summary>
public sealed class DpBertClassifier : IAdaptiveClassifier
{
    private readonly PlannedExecution _execution;

    /// <summary>The backbone.</summary>
    public BertForSequenceClassification Model { get; }
    /// <summary>The planner.</summary>
    public PlanningModule Planner { get; }

    /// <summary>Pairs a backbone with a planner made for its configuration.</summary>
    /// <exception cref="ArgumentException">The planner covers another number of layers.</exception>
    public DpBertClassifier(BertForSequenceClassification model, PlanningModule planner)
    {
        if (planner.AlwaysRunLayers + planner.PlannedLayers != model.Config.NumHiddenLayers)
            throw new ArgumentException($"the planner covers {planner.AlwaysRunLayers + planner.PlannedLayers} layers; the model has {model.Config.NumHiddenLayers}", nameof(planner));
        Model = model;
        Planner = planner;
        _execution = new PlannedExecution(model);
    }

    /// <inheritdoc/>
    public string Method => "dpbert";
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
        var predictions = Predict(batch, knob);
        return new(predictions.SelectMany(p => p.Logits).ToArray(), predictions.Select(p => p.Plan).ToArray());
    }

    /// <summary>Classifies a batch; each row's plan comes from the planner at threshold <paramref name="theta"/>.</summary>
    public IReadOnlyList<PlannedPrediction> Predict(BertBatch batch, double theta = 0.5)
    {
        if (!(theta > 0 && theta < 1)) throw new ArgumentOutOfRangeException(nameof(theta), $"theta {theta} must be in (0, 1)");
        int b = batch.BatchSize, s = batch.SequenceLength, k = Planner.AlwaysRunLayers, layers = Model.Config.NumHiddenLayers;
        var always = Enumerable.Repeat(LayerPlan.FirstLayers(layers, k), b).ToArray();
        Model.Bert.Forward(batch, runLayer: _ => false);
        _execution.RunLayers(batch, always, 0, k);
        var logits = Planner.Logits(Model.Bert.Activations.Hidden, b, s);
        var plans = Planner.Plans(logits, b, theta);
        _execution.RunLayers(batch, plans, k, layers);
        var classLogits = _execution.Head(batch);
        int n = Model.Config.NumLabels, planned = Planner.PlannedLayers;
        return Enumerable.Range(0, b).Select(r => new PlannedPrediction(
            classLogits.AsSpan(r * n, n).ToArray(), plans[r],
            logits.AsSpan(r * planned, planned).ToArray().Select(g => (float)(1.0 / (1.0 + Math.Exp(-g)))).ToArray())).ToList();
    }
}
