using DpBert.Bert;
using DpBert.Training;

namespace DpBert.Evaluation;

/// <summary>The full-depth model's logits over a dataset (teacher outputs for distillation).</summary>
public sealed class FullDepthClassifierLogits(BertForSequenceClassification model)
{
    /// <summary>Logits (N, num_labels) of every example, in dataset order, without dropout.</summary>
    public float[] Compute(EncodedDataset data, int batchSize) =>
        AdaptivePredictions.Run(new FullDepthClassifier(model), data, 0, batchSize).Output.Logits;
}
