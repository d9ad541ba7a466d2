using System.CommandLine;
using DpBert.Checkpoints;
using DpBert.EarlyExit;
using DpBert.Glue;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert exits --method deebert|pabee --task sst2 --model &lt;fine-tuned folder&gt;</c>: trains the early-exit
/// baselines' heads and writes an early-exit folder (default <c>&lt;model&gt;/&lt;method&gt;</c>).
/// </summary>
internal static class ExitsCommand
{
    public static Command Create()
    {
        var d = new ExitTrainingOptions();
        var method = new Option<string>("--method") { Description = "deebert (heads only, backbone frozen) or pabee (heads and backbone jointly).", Required = true };
        var task = new Option<string>("--task") { Description = "GLUE task the model was fine-tuned on.", Required = true };
        var model = new Option<string>("--model") { Description = "Folder (or Hugging Face model id) of a model fine-tuned at full depth.", Required = true };
        var output = new Option<string?>("--output") { Description = "Output folder (default: <model>/<method>)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder; default: $GLUE_DIR, then data/glue." };
        var headLr = new Option<double>("--head-learning-rate") { Description = "Peak learning rate of the exit heads.", DefaultValueFactory = _ => d.HeadLearningRate };
        var backboneLr = new Option<double>("--backbone-learning-rate") { Description = "Peak learning rate of the backbone (PABEE).", DefaultValueFactory = _ => d.BackboneLearningRate };
        var epochs = new Option<double>("--num-train-epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => d.NumTrainEpochs };
        var maxSteps = new Option<int>("--max-steps") { Description = "Optimizer steps (overrides epochs when positive).", DefaultValueFactory = _ => d.MaxSteps };
        var batch = new Option<int>("--per-device-train-batch-size") { Description = "Inputs per step.", DefaultValueFactory = _ => d.BatchSize };
        var maxSeq = new Option<int>("--max-seq-length") { Description = "Truncation length in tokens.", DefaultValueFactory = _ => d.MaxSeqLength };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => d.Seed };
        var maxTrain = new Option<int?>("--max-train-samples") { Description = "Use only the first N training rows." };
        var maxEval = new Option<int?>("--max-eval-samples") { Description = "Score each exit head on the first N evaluation rows only." };
        var heldOut = new HeldOutFlags("Set N training rows aside (fixed seed), as plan and finetune do, so every method trains on the same rows.");
        var headInput = new Option<string>("--head-input") { Description = "What the exit heads read after their layer: cls ([CLS]) or mean (the mean of the real tokens). DeeBERT's last exit, the model's own head, reads what the model's pooler reads.", DefaultValueFactory = _ => "cls" };
        headInput.AcceptOnlyFromAmong("cls", "mean");
        var command = new Command("exits", "Train DeeBERT or PABEE exit heads on a fine-tuned model (early-exit baselines).")
        {
            method, task, model, output, dataDir, headLr, backboneLr, epochs, maxSteps, batch, maxSeq, seed, maxTrain, maxEval, headInput,
        };
        heldOut.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            string methodName = parse.GetValue(method)!;
            var kind = EarlyExitFolder.ParseMethod(methodName, "--method");
            var glueTask = GlueTask.FromName(parse.GetValue(task)!);
            var options = new ExitTrainingOptions
            {
                HeadInput = Bert.TokenPoolings.Parse(parse.GetValue(headInput)!), HeadLearningRate = parse.GetValue(headLr), BackboneLearningRate = parse.GetValue(backboneLr), NumTrainEpochs = parse.GetValue(epochs),
                MaxSteps = parse.GetValue(maxSteps), BatchSize = parse.GetValue(batch), MaxSeqLength = parse.GetValue(maxSeq), Seed = parse.GetValue(seed),
            };
            options.Validate();
            string modelDir = parse.GetValue(model)!;
            string outputDir = OutputPaths.Folder(parse.GetValue(output) ?? Path.Combine(modelDir, EarlyExitFolder.MethodName(kind)), "--output");
            OutputPaths.NotTheModel(outputDir, modelDir);
            var loaded = ModelFolder.LoadSequenceClassifier(modelDir);
            GlueSets.RequireFits(glueTask, loaded.Config, modelDir);
            var trainer = new ExitHeadTrainer(loaded.Model, loaded.Tokenizer, kind, options);
            var data = GlueSets.Load(glueTask, loaded.Tokenizer, parse.GetValue(dataDir), options.MaxSeqLength, parse.GetValue(maxTrain), parse.GetValue(maxEval), heldOut: heldOut.Read(parse));
            stderr.WriteLine($"{glueTask.Name}: {data.Train.Count:N0} training rows; {EarlyExitFolder.MethodName(kind)} heads on {modelDir}; {Counted.Of(trainer.TotalSteps(data.Train.Count), "step")}; output in {outputDir}");
            var printer = new TrainingProgressPrinter(stderr);
            EarlyExitClassifier classifier;
            try { classifier = trainer.Train(data.Train, outputDir, printer); }
            finally { printer.EndBar(); }
            // Each head alone, as if every input exited there: a head stuck on one class shows before it misleads the exit rule.
            var scores = ExitHeadScores.Evaluate(classifier, data.Eval, (d, p) => FinetuneCommand.Metrics(glueTask, data.EvalSplit, d, p), 64);
            stdout.WriteLine($"each exit head alone on {data.EvalSplit} ({data.Eval.Count:N0} rows), {glueTask.MainMetricName} after layer 1..{scores.Count}: "
                + string.Join("  ", scores.Select(s => s[glueTask.MainMetricName].ToString("F4", System.Globalization.CultureInfo.InvariantCulture))));
            stdout.WriteLine($"{EarlyExitFolder.MethodName(kind)} model: {outputDir}");
            return 0;
        });
        return command;
    }
}
