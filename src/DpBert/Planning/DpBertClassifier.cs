using DpBert.Bert;
using DpBert.Methods;

namespace DpBert.Planning;

/// <summary>A prediction with the plan that produced it.</summary>
/// <param name="Logits">Class scores (num_labels).</param>
/// <param name="Plan">Which layers ran for this input.</param>
/// <param name="LayerProbabilities">The planner's probability for each planned layer (L - k).</param>
public sealed record PlannedPrediction(float[] Logits, LayerPlan Plan, float[] LayerProbabilities);

/// <summary>
/// DPBERT inference: the first k layers run for every input, the planner decides the remaining layers once from
/// the [CLS] state, and only the selected layers execute (each on the rows that selected it). With the planner's
/// <see cref="DepthHeads"/>, each input is classified by the head of its plan's length instead of the model's head.
/// </summary>
public sealed class DpBertClassifier : IAdaptiveClassifier
{
    private readonly PlanningPolicy _policy;

    /// <summary>The backbone.</summary>
    public BertForSequenceClassification Model { get; }
    /// <summary>The planner.</summary>
    public PlanningModule Planner { get; }
    /// <inheritdoc/>
    public AdaptiveMethod Method => DpBertMethod.Instance;

    /// <summary>Pairs a backbone with a planner made for its configuration.</summary>
    /// <exception cref="ArgumentException">The planner covers another number of layers.</exception>
    public DpBertClassifier(BertForSequenceClassification model, PlanningModule planner)
    {
        if (planner.AlwaysRunLayers + planner.PlannedLayers != model.Config.NumHiddenLayers)
            throw new ArgumentException($"the planner covers {planner.AlwaysRunLayers + planner.PlannedLayers} layers; the model has {model.Config.NumHiddenLayers}", nameof(planner));
        Model = model;
        Planner = planner;
        _policy = new PlanningPolicy(planner);
    }

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        DpBertMethod.CheckTheta(knob);
        _policy.Theta = knob;
        var state = Model.Bert.Forward(batch, _policy);
        var plans = state.Plans();
        float[] logits;
        if (Planner.DepthHeads is { } heads)
        {
            logits = new float[batch.BatchSize * Model.Config.NumLabels];
            heads.Forward(logits, Model.Bert.Pool(batch.BatchSize, batch.SequenceLength), plans.Select(p => p.ExecutedCount).ToArray(), batch.BatchSize);
        }
        else logits = Model.Head(batch.BatchSize, batch.SequenceLength);
        int k = Planner.AlwaysRunLayers, planned = Planner.PlannedLayers;
        var probabilities = new IReadOnlyList<double?>[batch.BatchSize];
        for (int r = 0; r < batch.BatchSize; r++)
        {
            var row = new double?[k + planned];
            for (int i = 0; i < planned; i++) row[k + i] = 1.0 / (1.0 + Math.Exp(-_policy.Logits[r * planned + i]));
            probabilities[r] = row;
        }
        return new AdaptiveOutput(logits, plans, probabilities);
    }

    /// <summary>Classifies a batch; each row's plan comes from the planner at threshold <paramref name="theta"/>.</summary>
    public IReadOnlyList<PlannedPrediction> Predict(BertBatch batch, double theta = 0.5)
    {
        var output = Classify(batch, theta);
        int n = Model.Config.NumLabels, k = Planner.AlwaysRunLayers;
        return Enumerable.Range(0, batch.BatchSize).Select(r => new PlannedPrediction(
            output.Logits.AsSpan(r * n, n).ToArray(), output.Plans[r],
            output.LayerProbabilities![r].Skip(k).Select(p => (float)p!.Value).ToArray())).ToList();
    }

    /// <summary>At the boundary after the always-run layers, the planner reads [CLS] (or the tokens' mean) and fixes each row's remaining layers.</summary>
    private sealed class PlanningPolicy(PlanningModule planner) : IEncoderPolicy
    {
        public double Theta { get; set; } = 0.5;
        public float[] Logits { get; private set; } = [];

        public void AtBoundary(EncoderState state)
        {
            int k = planner.AlwaysRunLayers;
            if (state.CurrentLayer != k) return;
            int b = state.BatchSize;
            Logits = planner.Logits(state.Hidden, state.Batch.AttentionMask, b, state.SequenceLength);
            var plans = planner.Plans(Logits, b, Theta);
            for (int r = 0; r < b; r++)
                for (int l = k; l < state.LayerCount; l++) state.SetRuns(r, l, plans[r].Runs(l));
        }
    }
}
