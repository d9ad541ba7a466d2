using LayerPlan = DpBert.Bert.LayerPlan;
using DpBert.TorchSharp.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Planning;

/// <summary>A planned forward pass: logits with the plans that produced them.</summary>
/// <param name="Logits">Class scores (B, num_labels), on the model's device.</param>
/// <param name="Plans">Which layers ran for each row.</param>
/// <param name="LayerProbabilities">The planner's probabilities (B, L - k), on the host, row-major.</param>
public sealed record PlannedOutput(Tensor Logits, IReadOnlyList<LayerPlan> Plans, float[] LayerProbabilities) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => Logits.Dispose();
}

/// <summary>What a gated training forward produced (all on the model's device, attached to the autograd graph).</summary>
/// <param name="Logits">Class scores (B, num_labels).</param>
/// <param name="Gates">Forward gate values (B, L - k): 0 or 1 for hard gates.</param>
/// <param name="Soft">The soft samples behind them.</param>
public sealed record GatedOutput(Tensor Logits, Tensor Gates, Tensor Soft) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Logits.Dispose();
        Gates.Dispose();
        Soft.Dispose();
    }
}

/// <summary>
/// DPBERT on TorchSharp: a <see cref="BertForSequenceClassification"/> backbone (its modules shared, not copied) with a
/// <see cref="PlanningModule"/>. <c>state_dict()</c> holds the Hugging Face keys plus <c>planner.*</c>, the keys of the
/// core engine's model and planner files. Inference (<see cref="Predict"/>) runs the first k layers, asks the planner once,
/// then runs each remaining layer only on the rows whose plan selects it; training (<see cref="ForwardGated"/>) runs every
/// layer on every row with straight-through Gumbel-sigmoid gates, <c>h = z * Layer(h) + (1 - z) * h</c>.
/// </summary>
public sealed class DpBertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    // The same field names as BertForSequenceClassification, plus planner: the keys are those of both core files.
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    private readonly PlanningModule planner;
    private readonly BertForSequenceClassification _backbone;

    /// <summary>Pairs <paramref name="backbone"/> with <paramref name="planner"/> (made for the same configuration).</summary>
    /// <exception cref="ArgumentException">The planner covers another number of layers.</exception>
    public DpBertForSequenceClassification(BertForSequenceClassification backbone, PlanningModule planner) : base(nameof(DpBertForSequenceClassification))
    {
        int layers = backbone.Config.NumHiddenLayers;
        if (planner.AlwaysRunLayers + planner.PlannedLayers != layers)
            throw new ArgumentException($"the planner covers {planner.AlwaysRunLayers + planner.PlannedLayers} layers; the model has {layers}", nameof(planner));
        bert = backbone.Bert;
        dropout = backbone.ClassifierDropout;
        classifier = backbone.Classifier;
        this.planner = planner;
        RegisterComponents();
        _backbone = backbone; // assigned after registration: a reference, not a submodule (its keys would gain a prefix)
    }

    /// <summary>The configuration.</summary>
    public CoreConfig Config => _backbone.Config;
    /// <summary>The backbone (sharing its modules with this model).</summary>
    public BertForSequenceClassification Backbone => _backbone;
    /// <summary>The planner.</summary>
    public PlanningModule Planner => planner;
    /// <summary>The device the parameters are on.</summary>
    public Device Device() => classifier.weight!.device;
    /// <summary>The dtype of the parameters.</summary>
    public ScalarType DType => classifier.weight!.dtype;

    /// <summary>Logits of the full-depth model (every layer on every row), as the backbone computes them.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) => _backbone.forward(inputIds, tokenTypeIds, attentionMask);

    /// <summary>
    /// Planned inference: the first k layers on every row; the planner reads [CLS] once; each remaining layer runs only on
    /// the rows whose plan selects it (gathered, run, scattered back), so bypassed layers cost nothing. Use in eval mode
    /// under <c>no_grad</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="theta"/> is not in (0, 1).</exception>
    public PlannedOutput Predict(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, double theta = 0.5)
    {
        using var scope = NewDisposeScope();
        int k = planner.AlwaysRunLayers, layers = Config.NumHiddenLayers, b = (int)inputIds.shape[0];
        var hidden = bert.Embeddings.forward(inputIds, tokenTypeIds);
        var mask = BertModel.AdditiveMask(attentionMask, hidden.dtype);
        for (int l = 0; l < k; l++) hidden = bert.Layers[l].forward(hidden, mask);
        var planLogits = PlanningModule.HostLogits(planner.forward(hidden, attentionMask));
        var plans = planner.Plans(planLogits, b, theta);
        for (int l = k; l < layers; l++)
        {
            var rows = Enumerable.Range(0, b).Where(r => plans[r].Runs(l)).Select(r => (long)r).ToArray();
            if (rows.Length == 0) continue;
            if (rows.Length == b) { hidden = bert.Layers[l].forward(hidden, mask); continue; }
            var index = tensor(rows, device: hidden.device);
            var updated = bert.Layers[l].forward(hidden.index_select(0, index), mask.index_select(0, index));
            hidden = hidden.index_copy(0, index, updated);
        }
        var logits = Head(hidden, attentionMask).MoveToOuterDisposeScope();
        return new PlannedOutput(logits, plans, planLogits.Select(g => (float)PlanningModule.Probability(g)).ToArray());
    }

    /// <summary>
    /// The training forward of stage two: the first k layers, the planner's logits, gates from
    /// <see cref="GumbelSigmoidGate.Sample"/> with <paramref name="logisticNoise"/> (B, L - k) at <paramref name="temperature"/>,
    /// then every remaining layer on every row, gated per row. Dropout follows the module's training mode.
    /// </summary>
    public GatedOutput ForwardGated(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor logisticNoise, double temperature, bool hard = true)
    {
        using var scope = NewDisposeScope();
        int k = planner.AlwaysRunLayers, layers = Config.NumHiddenLayers;
        long b = inputIds.shape[0];
        var hidden = bert.Embeddings.forward(inputIds, tokenTypeIds);
        var mask = BertModel.AdditiveMask(attentionMask, hidden.dtype);
        for (int l = 0; l < k; l++) hidden = bert.Layers[l].forward(hidden, mask);
        var (gates, soft) = GumbelSigmoidGate.Sample(planner.forward(hidden, attentionMask), logisticNoise, temperature, hard);
        for (int l = k; l < layers; l++)
        {
            var z = gates[.., l - k].view(b, 1, 1);
            hidden = z * bert.Layers[l].forward(hidden, mask) + (1 - z) * hidden;
        }
        var logits = Head(hidden, attentionMask);
        return new GatedOutput(logits.MoveToOuterDisposeScope(), gates.MoveToOuterDisposeScope(), soft.MoveToOuterDisposeScope());
    }

    private Tensor Head(Tensor hidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        return classifier.forward(dropout.forward(bert.Pooler.forward(hidden, attentionMask))).MoveToOuterDisposeScope();
    }
}
