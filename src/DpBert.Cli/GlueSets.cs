using DpBert.Glue;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>A task's training and evaluation sets, encoded.</summary>
/// <param name="Train">Training set (empty when not loaded), without the held-out rows.</param>
/// <param name="Eval">Evaluation set.</param>
/// <param name="EvalSplit">Name of the evaluation split (dev, dev_matched, heldout, train).</param>
internal sealed record GlueSets(EncodedDataset Train, EncodedDataset Eval, string EvalSplit)
{
    /// <summary>The name of the rows <c>--held-out N</c> sets aside from the training file.</summary>
    public const string HeldOutSplit = "heldout";

    /// <summary>
    /// Loads and encodes the training set (unless <paramref name="withTrain"/> is false) and an evaluation split:
    /// <paramref name="evalSplit"/> when given (<c>dev</c>, <c>heldout</c>, <c>train</c>, ...), else the held-out rows when
    /// <paramref name="heldOut"/> sets rows aside (so training never looks at the dev set), else the task's first evaluation split.
    /// </summary>
    public static GlueSets Load(GlueTask task, BertTokenizer tokenizer, string? dataDir, int maxSeqLength, int? maxTrain, int? maxEval,
        bool withTrain = true, HeldOutChoice? heldOut = null, string? evalSplit = null)
    {
        if (maxTrain is < 1) throw new CliInputException($"--max-train-samples {maxTrain}: must be at least 1");
        if (maxEval is < 1) throw new CliInputException($"--max-eval-samples {maxEval}: must be at least 1");
        heldOut ??= HeldOutChoice.None;
        string split = evalSplit ?? (heldOut.Count > 0 ? HeldOutSplit : task.EvaluationSplits[0]);
        if (split.StartsWith("test", StringComparison.Ordinal))
            throw new CliInputException($"--split {split}: GLUE's test files have no labels to score against; use {string.Join(", ", task.EvaluationSplits)}, heldout (with --held-out N) or train");
        if (split == HeldOutSplit && heldOut.Count <= 0) throw new CliInputException("--split heldout needs --held-out N (the number of training rows set aside)");
        GlueDataset? trainRows = null, heldOutRows = null;
        if (withTrain || split is HeldOutSplit or "train")
        {
            var all = GlueDataset.Load(task, "train", dataDir);
            (trainRows, heldOutRows) = heldOut.Count > 0 ? heldOut.Split(all) : (all, null);
        }
        var evalRows = split switch
        {
            HeldOutSplit => heldOutRows!,
            "train" => trainRows!,
            _ => GlueDataset.Load(task, split, dataDir),
        };
        var eval = Encode(evalRows, tokenizer, maxSeqLength, maxEval);
        if (eval.Count == 0) throw new CliInputException($"{task.Name} {split}: no rows to evaluate on ({evalRows.FilePath})");
        var train = withTrain ? Encode(trainRows!, tokenizer, maxSeqLength, maxTrain) : new EncodedDataset([], tokenizer, maxSeqLength);
        return new GlueSets(train, eval, split);
    }

    /// <summary>Refuses a model whose head does not fit <paramref name="task"/> (another label count, or classification for regression).</summary>
    public static void RequireFits(GlueTask task, Bert.BertConfig config, string modelDir)
    {
        if (config.NumLabels == task.NumLabels) return;
        string has = config.NumLabels == 1 ? "a regression head (1 output)" : $"{config.NumLabels} labels";
        string wants = task.IsRegression ? "a regression score (1 output)" : $"{task.NumLabels} labels";
        throw new CliInputException($"{modelDir} has {has}; {task.Name} needs {wants}: give a model fine-tuned on {task.Name} (dpbert finetune --task {task.Name})");
    }

    private static EncodedDataset Encode(GlueDataset rows, BertTokenizer tokenizer, int maxSeqLength, int? max) =>
        new(FinetuneCommand.ToExamples(rows).Take(max ?? int.MaxValue).ToList(), tokenizer, maxSeqLength);
}
