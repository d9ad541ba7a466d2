using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tokenization;
using DpBert.Training;
using DpBert.TorchSharp.Interop;
using DpBert.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DpBert.TorchSharp;

/// <summary>
/// The entry points the <c>dpbert</c> command line binds to when given <c>--engine torchsharp</c> (it loads this assembly
/// by name, so a build without it never restores libtorch). Each takes the core engine's objects (model, tokenizer,
/// options, datasets), runs on <c>device</c> and returns the core engine's result records, so the command prints the same
/// report for either engine.
/// </summary>
public static class TorchSharpEngine
{
    /// <summary>Stage one: fine-tunes a copy of <paramref name="model"/> on <paramref name="device"/> and writes the model folder (see <see cref="TorchSharpTrainer"/>).</summary>
    public static TrainingResult Finetune(BertForSequenceClassification model, BertTokenizer tokenizer, TrainingOptions options, EncodedDataset train, EncodedDataset? eval,
        MetricFunction metrics, string mainMetric, string outputDir, string device, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        using var torchModel = TorchModelFolder.FromCore(model, device);
        return new TorchSharpTrainer(torchModel, tokenizer, options).Train(train, eval, metrics, mainMetric, outputDir, progress, cancellation);
    }

    /// <summary>Stage two: trains a planner with a copy of <paramref name="model"/> on <paramref name="device"/> and writes the DPBERT folder (see <see cref="TorchSharpPlannerTrainer"/>).</summary>
    public static PlannerTrainingResult Plan(BertForSequenceClassification model, BertTokenizer tokenizer, PlannerTrainingOptions options, EncodedDataset train, EncodedDataset? eval,
        MetricFunction metrics, string outputDir, string device, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        using var torchModel = TorchModelFolder.FromCore(model, device);
        var (dpbert, result) = new TorchSharpPlannerTrainer(torchModel, tokenizer, options).Train(train, eval, metrics, outputDir, progress, cancellation);
        dpbert.Planner.Dispose();
        return result;
    }

    /// <summary>A full-depth forward pass of a copy of <paramref name="model"/> on <paramref name="device"/>: batch in, logits (B, num_labels) out.</summary>
    public static Func<BertBatch, float[]> Forward(BertForSequenceClassification model, string device)
    {
        var torchModel = TorchModelFolder.FromCore(model, device);
        torchModel.eval();
        var target = torchModel.Device();
        return batch =>
        {
            batch.Validate(model.Config);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var inputs = TorchBatch.From(batch, target);
            return torchModel.forward(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask).to(ScalarType.Float32).cpu().data<float>().ToArray();
        };
    }
}
