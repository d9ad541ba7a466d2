using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DpBert.Checkpoints;
using DpBert.Glue;
using DpBert.Training;
using Spectre.Console;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert average --models A,B,C --output D [--task T [--held-out N --greedy]]</c>: a model soup, the parameter-wise
/// average of classifiers fine-tuned from the same pre-trained model, written as an ordinary model folder. With
/// <c>--greedy</c> the models are added best first on the held-out rows and each is kept only when the soup does not score
/// less there; with <c>--task</c> every model and the soup are scored on the held-out rows and reported on dev.
/// </summary>
internal static class AverageCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models") { Description = "Model folders to average, comma-separated: classifiers fine-tuned from the same pre-trained model (same architecture, labels, pooler input and vocabulary).", Required = true };
        var output = new Option<string>("--output") { Description = "Folder of the averaged model (written whole or not at all).", Required = true };
        var greedy = new Option<bool>("--greedy") { Description = "Greedy soup: add the models best first on the held-out rows, keeping each only when the soup's held-out score does not drop (needs --task and --held-out)." };
        var task = new Option<string?>("--task") { Description = "GLUE task the models were fine-tuned on: score every model and the soup (held-out rows with --held-out, and the dev split)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder; default: $GLUE_DIR, then data/glue." };
        var maxSeq = new Option<int>("--max-seq-length") { Description = "Truncation length in tokens when scoring.", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch-size") { Description = "Rows per forward pass when scoring.", DefaultValueFactory = _ => 64 };
        var heldOut = new HeldOutFlags("The training rows finetune set aside (the same N and --held-out-rows): the greedy soup is chosen on them.");
        var command = new Command("average", "Average fine-tuned models into one (a model soup), uniformly or greedily on held-out rows.")
        {
            models, output, greedy, task, dataDir, maxSeq, batch,
        };
        heldOut.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var folders = parse.GetValue(models)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (folders.Length == 0) throw new CliInputException("--models: give at least one model folder");
            if (folders.Distinct().Count() != folders.Length) throw new CliInputException($"--models {parse.GetValue(models)}: a folder is named twice");
            var held = heldOut.Read(parse);
            bool isGreedy = parse.GetValue(greedy);
            string? taskName = parse.GetValue(task);
            if (isGreedy && (taskName is null || held.Count == 0)) throw new CliInputException("--greedy needs --task and --held-out N (the soup is chosen on the held-out rows)");
            if (parse.GetValue(maxSeq) <= 0) throw new CliInputException($"--max-seq-length {parse.GetValue(maxSeq)}: give a positive number of tokens");
            if (parse.GetValue(batch) <= 0) throw new CliInputException($"--batch-size {parse.GetValue(batch)}: give a positive number of rows");

            OutputPaths.Folder(parse.GetValue(output)!, "--output");
            foreach (string folder in folders) OutputPaths.NotTheModel(parse.GetValue(output)!, folder);
            var loaded = new List<LoadedModel>();
            foreach (string folder in folders)
            {
                stderr.WriteLine($"loading {folder}");
                loaded.Add(ModelFolder.LoadSequenceClassifier(folder));
            }
            ModelSoup.RequireCompatible(loaded);

            if (taskName is not null) GlueSets.RequireFits(GlueTask.FromName(taskName), loaded[0].Config, folders[0]);
            Scorer? scorer = taskName is null ? null : new Scorer(GlueTask.FromName(taskName), loaded[0], parse.GetValue(dataDir), parse.GetValue(maxSeq), parse.GetValue(batch), held, stderr);
            IReadOnlyList<int> kept = Enumerable.Range(0, loaded.Count).ToList();
            IReadOnlyList<SoupStep>? steps = null;
            if (isGreedy)
            {
                var own = loaded.Select(m => scorer!.HeldOut(m)).ToList();
                (kept, steps) = ModelSoup.Greedy(own, indices => scorer!.HeldOut(ModelSoup.Average([.. indices.Select(i => loaded[i])])));
            }
            var soup = ModelSoup.Average([.. kept.Select(i => loaded[i])]);
            string outputDir = Path.GetFullPath(parse.GetValue(output)!);
            AtomicFolder.Write(outputDir, dir =>
            {
                ModelFolder.WriteFiles(dir, soup.Config, soup.Model.Parameters, soup.Tokenizer);
                File.WriteAllText(Path.Combine(dir, "soup.json"), JsonSerializer.Serialize(new
                {
                    ingredients = folders.Select(Path.GetFullPath).ToArray(),
                    kept = kept.Select(i => Path.GetFullPath(folders[i])).ToArray(),
                    method = isGreedy ? "greedy" : "uniform",
                    held_out = held.Count,
                }, new JsonSerializerOptions { WriteIndented = true }));
            });
            if (scorer is not null) WriteScores(stdout, scorer, folders, loaded, steps, kept, soup);
            stdout.WriteLine($"averaged {kept.Count} of {folders.Length} models: {string.Join(", ", kept.Select(i => folders[i]))}");
            stdout.WriteLine($"model: {outputDir}");
            return 0;
        });
        return command;
    }

    private static void WriteScores(TextWriter stdout, Scorer scorer, string[] folders, List<LoadedModel> loaded,
        IReadOnlyList<SoupStep>? steps, IReadOnlyList<int> kept, LoadedModel soup)
    {
        var c = CultureInfo.InvariantCulture;
        bool withHeldOut = scorer.HasHeldOut;
        var table = new Table().Border(TableBorder.Markdown).AddColumn("model");
        if (withHeldOut) table.AddColumn(new TableColumn("held-out").RightAligned());
        if (steps is not null) table.AddColumn(new TableColumn("soup with it, held-out").RightAligned()).AddColumn("kept");
        table.AddColumn(new TableColumn(scorer.DevSplit).RightAligned());
        var order = steps?.Select(s => s.Ingredient).ToList() ?? Enumerable.Range(0, loaded.Count).ToList();
        foreach (int i in order)
        {
            var row = new List<string> { Markup.Escape(folders[i]) };
            var step = steps?.First(s => s.Ingredient == i);
            if (withHeldOut) row.Add((step?.OwnScore ?? scorer.HeldOut(loaded[i])).ToString("F4", c));
            if (step is not null) { row.Add(step.SoupScore.ToString("F4", c)); row.Add(step.Kept ? "yes" : "no"); }
            row.Add(scorer.Dev(loaded[i]).ToString("F4", c));
            table.AddRow([.. row]);
        }
        var soupRow = new List<string> { $"soup of {kept.Count}" };
        if (withHeldOut) soupRow.Add(scorer.HeldOut(soup).ToString("F4", c));
        if (steps is not null) { soupRow.Add(""); soupRow.Add(""); }
        soupRow.Add(scorer.Dev(soup).ToString("F4", c));
        table.AddRow([.. soupRow]);
        stdout.WriteLine($"{scorer.Task.Name} {scorer.Task.MainMetricName}:");
        CliConsole.For(stdout).Write(table);
    }

    /// <summary>Scores models on a task's held-out rows and dev split, each set loaded and encoded once.</summary>
    private sealed class Scorer(GlueTask task, LoadedModel first, string? dataDir, int maxSeqLength, int batchSize, HeldOutChoice held, TextWriter stderr)
    {
        private readonly GlueSets? _heldOut = held.Count > 0
            ? GlueSets.Load(task, first.Tokenizer, dataDir, maxSeqLength, null, null, withTrain: false, heldOut: held, evalSplit: GlueSets.HeldOutSplit)
            : null;
        private readonly GlueSets _dev = GlueSets.Load(task, first.Tokenizer, dataDir, maxSeqLength, null, null, withTrain: false, evalSplit: task.EvaluationSplits[0]);

        public GlueTask Task => task;
        public bool HasHeldOut => _heldOut is not null;
        public string DevSplit => _dev.EvalSplit;

        public double HeldOut(LoadedModel model) => Score(model, _heldOut!);

        public double Dev(LoadedModel model) => Score(model, _dev);

        private double Score(LoadedModel model, GlueSets sets)
        {
            var metrics = FinetuneCommand.Metrics(task, sets.EvalSplit, sets.Eval, EvaluationOutput.Predict(model.Model, sets.Eval, batchSize));
            double value = metrics[task.MainMetricName];
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {sets.EvalSplit} {task.MainMetricName} {value:F4}: {model.Folder}"));
            return value;
        }
    }
}
