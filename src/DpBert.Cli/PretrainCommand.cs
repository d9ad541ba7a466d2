using System.CommandLine;
using System.Globalization;
using DpBert.Bert;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert pretrain [--preset bert-mini] [--corpus glue|FILE] --output DIR</c>: masked-LM pre-training from
/// scratch. The default corpus is the sentences of the GLUE training sets (labels unused).
/// </summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var defaults = new PretrainingOptions();
        var preset = new Option<string>("--preset") { Description = "Model shape: bert-tiny, bert-mini, bert-small, bert-medium, bert-base, or L{layers}-H{hidden} (e.g. L6-H256; hidden a multiple of 64).", DefaultValueFactory = _ => "bert-mini" };
        var corpus = new Option<string>("--corpus") { Description = "\"glue\" (GLUE training sentences) or a text file with one sentence per line.", DefaultValueFactory = _ => "glue" };
        var output = new Option<string>("--output") { Description = "Output folder for the pre-trained model.", DefaultValueFactory = _ => Path.Combine("runs", "pretrain") };
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder for --corpus glue; default $GLUE_DIR, then data/glue." };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary (default: shared/vocab/bert-base-uncased/vocab.txt beside the clone)." };
        var maxSteps = new Option<int>("--max-steps") { Description = "Optimizer steps (-1: use epochs).", DefaultValueFactory = _ => defaults.MaxSteps };
        var epochs = new Option<double>("--num-train-epochs") { Description = "Passes over the corpus.", DefaultValueFactory = _ => defaults.NumTrainEpochs };
        var batch = new Option<int>("--per-device-train-batch-size") { Description = "Sentences per step.", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--learning-rate") { Description = "Peak learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var maxSeq = new Option<int>("--max-seq-length") { Description = "Truncate sentences to this many tokens.", DefaultValueFactory = _ => defaults.MaxSeqLength };
        var mlm = new Option<double>("--mlm-probability") { Description = "Fraction of tokens to predict.", DefaultValueFactory = _ => defaults.MaskProbability };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => defaults.Seed };
        var maxSentences = new Option<int?>("--max-train-samples") { Description = "Use only the first N sentences." };
        var command = new Command("pretrain", "Pre-train a small BERT from scratch with masked language modelling.")
            { preset, corpus, output, dataDir, vocab, maxSteps, epochs, batch, lr, maxSeq, mlm, seed, maxSentences };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            string vocabPath = parse.GetValue(vocab) ?? DefaultPaths.UncasedVocabulary()
                ?? throw new CliInputException("no vocabulary: pass --vocab <vocab.txt>");
            var tokenizer = BertTokenizer.FromVocabFile(vocabPath);
            string corpusName = parse.GetValue(corpus)!;
            var sentences = corpusName == "glue" ? TextCorpus.GlueTrainingSentences(parse.GetValue(dataDir)) : TextCorpus.ReadLines(corpusName);
            if (parse.GetValue(maxSentences) is int n)
            {
                if (n < 1) throw new CliInputException($"--max-train-samples {n}: must be at least 1");
                sentences = sentences.Take(n).ToList();
            }
            if (sentences.Count == 0) throw new CliInputException($"--corpus {corpusName}: no sentences to train on");
            var options = new PretrainingOptions
            {
                MaxSteps = parse.GetValue(maxSteps), NumTrainEpochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr), MaxSeqLength = parse.GetValue(maxSeq), MaskProbability = parse.GetValue(mlm), Seed = parse.GetValue(seed),
            };
            options.Validate();
            var config = BertPresets.Create(parse.GetValue(preset)!, tokenizer.Vocabulary.Count) with { MaxPositionEmbeddings = Math.Max(options.MaxSeqLength, 128) };
            var model = BertForMaskedLM.CreateEmpty(config);
            BertInitializer.Initialize(model.Parameters, config, options.Seed);
            stderr.WriteLine($"pre-training {parse.GetValue(preset)} ({model.Parameters.Count:N0} parameters) on {sentences.Count:N0} sentences ({corpusName})");
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); stderr.WriteLine("\nstopping after this step; saving the model..."); };
            Console.CancelKeyPress += onCancel;
            var printer = new TrainingProgressPrinter(stderr);
            TrainingResult result;
            try { result = new MaskedLmPretrainer(model, tokenizer, options).Train(sentences, parse.GetValue(output)!, printer, cancel.Token); }
            finally { Console.CancelKeyPress -= onCancel; printer.EndBar(); }
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pre-training {(result.Cancelled ? "stopped" : "finished")}: {Counted.Of(result.Steps, "step")}, mean MLM loss {result.TrainLoss:F4}, {result.TrainingTime:hh\\:mm\\:ss}, {result.TokensPerSecond:N0} tokens/s; model: {result.OutputDir}"));
            return result.Cancelled ? CliApp.Interrupted : 0;
        });
        return command;
    }
}
