using DpBert.Glue;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>A task's training and evaluation sets, encoded.</summary>
/// <param name="Train">Training set (empty when not loaded).</param>
/// <param name="Eval">Evaluation set.</param>
/// <param name="EvalSplit">Name of the evaluation split (dev, dev_matched).</param>
internal sealed record GlueSets(EncodedDataset Train, EncodedDataset Eval, string EvalSplit)
{
    /// <summary>Loads and encodes the training set (unless <paramref name="withTrain"/> is false) and the first evaluation split.</summary>
    public static GlueSets Load(GlueTask task, BertTokenizer tokenizer, string? dataDir, int maxSeqLength, int? maxTrain, int? maxEval, bool withTrain = true)
    {
        string evalSplit = task.EvaluationSplits[0];
        var eval = new EncodedDataset(FinetuneCommand.ToExamples(GlueDataset.Load(task, evalSplit, dataDir, maxEval)), tokenizer, maxSeqLength);
        var train = withTrain
            ? new EncodedDataset(FinetuneCommand.ToExamples(GlueDataset.Load(task, "train", dataDir, maxTrain)), tokenizer, maxSeqLength)
            : new EncodedDataset([], tokenizer, maxSeqLength);
        return new GlueSets(train, eval, evalSplit);
    }
}
