using DpBert.Bert;
using DpBert.Training;

namespace DpBert.Methods;

/// <summary>Predictions of an adaptive classifier over a dataset, with the plan each input ran.</summary>
/// <param name="Output">Logits, predicted labels or scores, and mean loss, in dataset order.</param>
/// <param name="Plans">The layers each input ran, in dataset order.</param>
public sealed record AdaptivePredictions(EvaluationOutput Output, IReadOnlyList<LayerPlan> Plans)
{
    /// <summary>Mean number of layers run per input.</summary>
    public double MeanLayers => Plans.Count == 0 ? double.NaN : Plans.Average(p => p.ExecutedCount);

    /// <summary>Fraction of inputs that ran each layer.</summary>
    public double[] LayerUsage()
    {
        int layers = Plans.Count == 0 ? 0 : Plans[0].LayerCount;
        var usage = new double[layers];
        foreach (var plan in Plans)
            for (int l = 0; l < layers; l++) if (plan.Runs(l)) usage[l]++;
        for (int l = 0; l < layers; l++) usage[l] /= Plans.Count;
        return usage;
    }

    /// <summary>Number of inputs that ran n layers, at index n.</summary>
    public int[] DepthHistogram()
    {
        int layers = Plans.Count == 0 ? 0 : Plans[0].LayerCount;
        var histogram = new int[layers + 1];
        foreach (var plan in Plans) histogram[plan.ExecutedCount]++;
        return histogram;
    }

    /// <summary>
    /// Runs <paramref name="classifier"/> at <paramref name="knob"/> over <paramref name="data"/> in batches of
    /// <paramref name="batchSize"/> (in dataset order).
    /// </summary>
    public static AdaptivePredictions Run(IAdaptiveClassifier classifier, EncodedDataset data, double knob, int batchSize)
    {
        var config = classifier.Model.Config;
        classifier.Method.ValidateKnob(knob, config);
        int labels = config.NumLabels;
        var logits = new float[data.Count * labels];
        var plans = new LayerPlan[data.Count];
        foreach (var (start, indices, batch) in data.InBatches(batchSize, config.PadTokenId))
        {
            var output = classifier.Classify(batch, knob);
            output.Logits.CopyTo(logits, start * labels);
            for (int i = 0; i < indices.Length; i++) plans[start + i] = output.Plans[i];
        }
        return new AdaptivePredictions(EvaluationOutput.FromLogits(logits, data, labels, labels == 1), plans);
    }
}
