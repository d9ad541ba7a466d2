using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DpBert.Training;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Bert;

/// <summary>
/// Hugging Face's <c>BertForSequenceClassification</c> as TorchSharp modules: <c>bert</c> (<see cref="BertModel"/>),
/// dropout, and the Linear <c>classifier</c>. Its <c>state_dict()</c> keys are exactly the Hugging Face keys
/// (<c>bert.encoder.layer.3.attention.self.query.weight</c>, <c>classifier.bias</c>, ...), so the weights of a model folder
/// load by name (<see cref="Interop.TorchModelFolder"/>). <c>num_labels == 1</c> is regression. Move it with
/// <c>.to(device, dtype)</c>; nothing in it assumes a device.
/// </summary>
public sealed class BertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <summary>
    /// Creates the model of <paramref name="config"/> (validated) with TorchSharp's default initialisation; its pooler reads
    /// what the configuration says (<see cref="CoreConfig.PoolerInput"/>).
    /// </summary>
    public BertForSequenceClassification(CoreConfig config) : base(nameof(BertForSequenceClassification))
    {
        config.Validate();
        Config = config;
        bert = new BertModel(config);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    /// <summary>The configuration.</summary>
    public CoreConfig Config { get; }
    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;
    /// <summary>The dropout before the classifier.</summary>
    internal Dropout ClassifierDropout => dropout;
    /// <summary>The classifier <c>[num_labels, H]</c>.</summary>
    internal Linear Classifier => classifier;
    /// <summary>The device the parameters are on.</summary>
    public Device Device() => classifier.weight!.device;
    /// <summary>The dtype of the parameters.</summary>
    public ScalarType DType => classifier.weight!.dtype;
    /// <summary>True for a regression head.</summary>
    public bool IsRegression => Config.NumLabels == 1;

    /// <summary>Logits (B, num_labels) from the pooled output (B, H): dropout, then the classifier.</summary>
    public Tensor Head(Tensor pooled)
    {
        using var dropped = dropout.forward(pooled);
        return classifier.forward(dropped);
    }

    /// <summary>Logits (B, num_labels) of the full-depth model; inputs are (B, S) int64 on the model's device.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = bert.forward(inputIds, tokenTypeIds, attentionMask);
        return Head(bert.Pooler.forward(hidden, attentionMask)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Full-depth logits of every example of <paramref name="data"/>, in dataset order, on the host (B * num_labels), computed
    /// in eval mode without gradients in batches of <paramref name="batchSize"/>.
    /// </summary>
    public float[] PredictLogits(EncodedDataset data, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        bool wasTraining = training;
        eval();
        int n = data.Count, labels = Config.NumLabels;
        var logits = new float[n * labels];
        var order = Enumerable.Range(0, n).ToArray();
        var device = Device();
        for (int start = 0; start < n; start += batchSize)
        {
            var indices = order.AsSpan(start, Math.Min(batchSize, n - start));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var inputs = TorchBatch.From(data.Batch(indices, Config.PadTokenId), device);
            var host = forward(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask).to(ScalarType.Float32).cpu();
            host.data<float>().CopyTo(logits.AsSpan(start * labels, indices.Length * labels));
        }
        train(wasTraining);
        return logits;
    }

    /// <summary>
    /// The task loss: mean cross-entropy against <paramref name="labels"/> (int64, B), or for regression the mean squared
    /// error against <paramref name="labels"/> (float, B), as Hugging Face computes it.
    /// </summary>
    public Tensor TaskLoss(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var loss = IsRegression ? nn.functional.mse_loss(logits.squeeze(-1), labels.to(logits.dtype)) : nn.functional.cross_entropy(logits, labels);
        return loss.MoveToOuterDisposeScope();
    }
}
