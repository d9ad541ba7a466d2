using System.CommandLine;
using System.Globalization;
using DpBert.Checkpoints;
using DpBert.Glue;
using DpBert.Methods;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert static --task sst2 --model &lt;fine-tuned folder&gt; --depths 2,3,4</c>: the static-depth baseline with
/// heads of its own. For each depth m, the first m layers of the fine-tuned model (with its pooler and classifier as
/// a start) are fine-tuned again at that depth and written to <c>&lt;model&gt;/static/depth-m</c>, where
/// <c>evaluate</c> and <c>tradeoff</c> find them.
/// </summary>
internal static class StaticCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "GLUE task the model was fine-tuned on.", Required = true };
        var model = new Option<string>("--model") { Description = "Folder (or Hugging Face model id) of the model fine-tuned at full depth.", Required = true };
        var depths = new Option<string>("--depths") { Description = "Depths to fine-tune, comma-separated (e.g. 2,3,4).", Required = true };
        var output = new Option<string?>("--output") { Description = "Folder of the depth models (default: <model>/static)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder; default: $GLUE_DIR, then data/glue." };
        var heldOut = new HeldOutFlags("Set N training rows aside (fixed seed) and pick each depth's best checkpoint on them.");
        var flags = new TrainingOptionFlags();
        var command = new Command("static", "Fine-tune the first m layers of a fine-tuned model at depth m, with their own head (the static-depth baseline).")
        {
            task, model, depths, output, dataDir,
        };
        flags.AddTo(command);
        heldOut.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var glueTask = GlueTask.FromName(parse.GetValue(task)!);
            var options = flags.Read(parse);
            options.Validate();
            string modelDir = parse.GetValue(model)!;
            var full = ModelFolder.LoadSequenceClassifier(modelDir);
            GlueSets.RequireFits(glueTask, full.Config, modelDir);
            var list = ParseDepths(parse.GetValue(depths)!, full.Config.NumHiddenLayers);
            var sets = GlueSets.Load(glueTask, full.Tokenizer, parse.GetValue(dataDir), options.MaxSeqLength, options.MaxTrainSamples, options.MaxEvalSamples,
                heldOut: heldOut.Read(parse));
            string folder = OutputPaths.Folder(parse.GetValue(output) ?? Path.Combine(modelDir, StaticDepthMethod.Instance.DefaultFolderName), "--output");
            var c = CultureInfo.InvariantCulture;
            foreach (int depth in list)
            {
                var truncated = full.Model.FirstLayers(depth);
                var trainer = new Trainer(truncated, full.Tokenizer, options);
                string depthFolder = StaticDepthMethod.DepthFolder(folder, depth);
                stderr.WriteLine($"{glueTask.Name}: depth {depth} of {full.Config.NumHiddenLayers}, {sets.Train.Count:N0} training rows, {Counted.Of(trainer.TotalSteps(sets.Train.Count), "step")}, best checkpoint on {sets.EvalSplit}; output in {depthFolder}");
                var printer = new TrainingProgressPrinter(stderr);
                TrainingResult result;
                try { result = trainer.Train(sets.Train, sets.Eval, (d, p) => FinetuneCommand.Metrics(glueTask, sets.EvalSplit, d, p), glueTask.MainMetricName, depthFolder, printer); }
                finally { printer.EndBar(); }
                string metric = result.BestMetrics is { } m && m.TryGetValue(glueTask.MainMetricName, out double v) ? v.ToString("F4", c) : "n/a";
                stdout.WriteLine($"static depth {depth}: {Counted.Of(result.Steps, "step")}, {sets.EvalSplit} {glueTask.MainMetricName} {metric}; model: {depthFolder}");
            }
            return 0;
        });
        return command;
    }

    private static int[] ParseDepths(string text, int layers)
    {
        var depths = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int d) || d < 1 || d >= layers)
                throw new CliInputException($"--depths: \"{part}\" is not a depth in [1, {layers - 1}] (depth {layers} is the full model)");
            depths.Add(d);
        }
        if (depths.Count == 0) throw new CliInputException("--depths is empty");
        return depths.Distinct().Order().ToArray();
    }
}
