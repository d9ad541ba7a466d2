using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Methods;

/// <summary>
/// Static depth (knob <c>depth</c>, 1..L): every input runs the first m layers. For a depth that has a model of its
/// own in the method's folder (<c>&lt;model&gt;/static/depth-m</c>, written by <c>dpbert static</c>: the first m layers
/// fine-tuned again with their own head), that model answers; otherwise the fine-tuned model's own pooler and
/// classifier read the m-th layer, which a pre-trained model was never trained for.
/// </summary>
public sealed class StaticDepthMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static StaticDepthMethod Instance { get; } = new();
    private StaticDepthMethod() { }

    /// <inheritdoc/>
    public override string Name => "static";
    /// <inheritdoc/>
    public override string Description => "the first m layers of the fine-tuned model for every input";
    /// <inheritdoc/>
    public override Knob Knob { get; } = new("depth", "layers run, from the first", WholeNumber: true);

    /// <inheritdoc/>
    public override void ValidateKnob(double value, BertConfig config)
    {
        if (value != Math.Floor(value) || value < 1 || value > config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(value), $"static depth {value} must be a whole number of layers in [1, {config.NumHiddenLayers}]");
    }

    /// <inheritdoc/>
    public override double DefaultKnob(BertConfig config) => (config.NumHiddenLayers + 1) / 2;

    /// <inheritdoc/>
    public override IReadOnlyList<double> SweepGrid(BertConfig config) => Enumerable.Range(1, config.NumHiddenLayers).Select(m => (double)m).ToArray();

    /// <inheritdoc/>
    public override string DefaultFolderName => "static";
    /// <inheritdoc/>
    public override string TrainingCommand => "dpbert static";

    /// <summary>The folder of the model fine-tuned at <paramref name="depth"/> inside the method's folder.</summary>
    public static string DepthFolder(string folder, int depth) => Path.Combine(folder, $"depth-{depth}");

    /// <summary>The fine-tuned model, with the models of their own found in <paramref name="folder"/> (default <c>&lt;model&gt;/static</c>; none when absent).</summary>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null)
    {
        string path = folder ?? Path.Combine(fineTuned.Folder, DefaultFolderName);
        if (folder is not null && !Directory.Exists(folder)) RequireFolder(fineTuned, folder);
        var own = new Dictionary<int, BertForSequenceClassification>();
        for (int m = 1; m <= fineTuned.Config.NumHiddenLayers; m++)
            if (Directory.Exists(DepthFolder(path, m))) own[m] = ModelFolder.LoadSequenceClassifier(DepthFolder(path, m)).Model;
        return new StaticDepthClassifier(fineTuned.Model, own);
    }
}

/// <summary>
/// Static depth on a fine-tuned model: every input runs the first <c>depth</c> layers, through the model fine-tuned
/// at that depth when <paramref name="ownModels"/> has one, else through the full model cut short.
/// </summary>
public sealed class StaticDepthClassifier(BertForSequenceClassification model, IReadOnlyDictionary<int, BertForSequenceClassification>? ownModels = null) : IAdaptiveClassifier
{
    /// <inheritdoc/>
    public AdaptiveMethod Method => StaticDepthMethod.Instance;
    /// <inheritdoc/>
    public BertForSequenceClassification Model => model;
    /// <summary>The depths that have a model fine-tuned at that depth.</summary>
    public IEnumerable<int> OwnDepths => ownModels is null ? [] : ownModels.Keys.Order();

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        Method.ValidateKnob(knob, model.Config);
        int depth = (int)knob;
        var plan = LayerPlan.FirstLayers(model.Config.NumHiddenLayers, depth);
        var logits = ownModels is not null && ownModels.TryGetValue(depth, out var own) ? own.Forward(batch) : model.Forward(batch, new FixedPlans(plan));
        return new(logits, Enumerable.Repeat(plan, batch.BatchSize).ToArray());
    }
}
