using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Tests.Bert;

/// <summary>The pooler is not computed when a caller needs only hidden states (<c>Forward(..., pool: false)</c>).</summary>
public sealed class PoolerSwitchTests
{
    [Fact]
    public void PoolerWithNaNWeightsLeavesHiddenStatesAndPooledOutputUntouchedWhenSkipped()
    {
        var model = ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder).Model;
        var batch = BertBatch.FromRows([[101, 2023, 2003, 102], [101, 2592, 102, 0]], attentionMask: [[1, 1, 1, 1], [1, 1, 1, 0]]);
        model.Bert.Forward(batch);
        float[] hidden = model.Bert.Activations.Hidden[..(batch.TokenCount * model.Config.HiddenSize)];

        model.Parameters.Span("bert.pooler.dense.weight").Fill(float.NaN);
        model.Parameters.MarkChanged();
        Array.Fill(model.Bert.Activations.Pooled, 7f);
        model.Bert.Forward(batch, pool: false);
        Assert.Equal(hidden, model.Bert.Activations.Hidden[..hidden.Length]);
        Assert.All(model.Bert.Activations.Pooled, v => Assert.Equal(7f, v)); // never written

        model.Bert.Forward(batch); // the default still pools, and now reads the NaN weights
        Assert.Contains(model.Bert.Activations.Pooled[..(2 * model.Config.HiddenSize)], float.IsNaN);
    }
}
