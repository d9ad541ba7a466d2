using DpBert.Bert;
using DpBert.Training;

namespace DpBert.EarlyExit;

/// <summary>
/// What each exit head alone scores: every input runs every layer, and head j's predictions are scored as if every
/// input exited after layer j. A head at chance (or one that answers the majority class for everything) shows here
/// before it misleads an exit rule.
/// </summary>
public static class ExitHeadScores
{
    /// <summary>The metrics of each exit head (index = layer, 0-based) on <paramref name="data"/>.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, double>> Evaluate(EarlyExitClassifier classifier, EncodedDataset data, MetricFunction metrics, int batchSize)
    {
        var model = classifier.Model;
        int layers = model.Config.NumHiddenLayers, labels = model.Config.NumLabels, h = model.Config.HiddenSize;
        var logits = Enumerable.Range(0, layers).Select(_ => new float[data.Count * labels]).ToArray();
        foreach (var (start, indices, batch) in data.InBatches(batchSize, model.Config.PadTokenId))
        {
            var states = new HiddenStateRecorder();
            model.Bert.Forward(batch, states);
            var pooled = new float[indices.Length * h];
            var rows = new float[indices.Length * h];
            for (int l = 0; l < layers; l++)
            {
                classifier.Heads.Summarize(rows, states.States[l + 1], batch.AttentionMask, l, indices.Length, batch.SequenceLength);
                classifier.Heads.Logits(logits[l].AsSpan(start * labels, indices.Length * labels), pooled, rows, l, indices.Length, seqLen: 1);
            }
        }
        return logits.Select(l => metrics(data, EvaluationOutput.FromLogits(l, data, labels, model.IsRegression))).ToArray();
    }
}
